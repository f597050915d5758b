"""f16 GEMV baseline through torch (cuBLAS) on the same shapes and with the same cold-cache method as
bench_gemv: weight copies rotated well beyond L2, median of repeats of 100 launches queued behind a spin kernel
(the GPU's time alone, as bench_gemv's GEMV lines), and of 10 host-paced launches.
Prints: F16 <M> <K> <microseconds> <GB/s>, HOSTPACED_F16 <M> <K> <microseconds> <GB/s> and GRAPH_F16 (100 launches
captured in a CUDA graph and replayed, queued)"""
import sys

import torch

SHAPES = [(2560, 2560), (6912, 2560), (2560, 6912), (4096, 4096), (14336, 4096), (4096, 14336), (128256, 4096)]
ROTATE = 1 << 30
repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
dev = torch.device("cuda")
for m, k in SHAPES:
    nbytes = m * k * 2
    copies = max(2, -(-ROTATE // nbytes))
    ws = [torch.randn(m, k, device=dev, dtype=torch.float16) for _ in range(copies)]
    x = torch.randn(k, device=dev, dtype=torch.float16)
    for i in range(3):
        torch.mv(ws[i % copies], x)
    torch.cuda.synchronize()
    i = 0

    def timed_ms(per_repeat, queued, enqueue):
        # Median per launch of repeats of per_repeat launches enqueued by enqueue(); queued: behind a sleep that
        # holds the GPU until the whole repeat is enqueued (checked), as bench_gemv does.
        times = []
        for _ in range(repeats):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            if queued:
                torch.cuda._sleep(10_000_000)  # clock cycles: milliseconds, longer than enqueueing the repeat
            a.record()
            enqueue()
            if queued and a.query():
                sys.exit("f16_baseline: the GPU reached the timed launches before they were all enqueued")
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b) / per_repeat)
        times.sort()
        return times[len(times) // 2]

    def median_ms(per_repeat, queued):
        def enqueue():
            global i
            for _ in range(per_repeat):
                torch.mv(ws[i % copies], x)
                i += 1
        return timed_ms(per_repeat, queued, enqueue)

    def graph_ms(per_graph):
        # The same launches captured once in a CUDA graph and replayed (bench_gemv's GRAPH).
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            for j in range(per_graph):
                torch.mv(ws[j % copies], x)
        g.replay()
        torch.cuda.synchronize()
        return timed_ms(per_graph, True, g.replay)

    moved = nbytes + k * 2 + m * 2
    for label, ms in (("F16", median_ms(100, True)), ("HOSTPACED_F16", median_ms(10, False)),
                      ("GRAPH_F16", graph_ms(100))):
        print(f"{label} {m} {k} {ms * 1e3:.2f} {moved / (ms * 1e-3) / 1e9:.1f}", flush=True)
    del ws
    torch.cuda.empty_cache()
