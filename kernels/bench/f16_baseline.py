"""f16 GEMV baseline through torch (cuBLAS) on the same shapes and with the same cold-cache method as
bench_gemv: weight copies rotated well beyond L2, median of repeats of 10 back-to-back launches.
Prints: F16 <M> <K> <microseconds> <GB/s>"""
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
    times = []
    i = 0
    for _ in range(repeats):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        for _ in range(10):
            torch.mv(ws[i % copies], x)
            i += 1
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b) / 10)
    times.sort()
    ms = times[len(times) // 2]
    print(f"F16 {m} {k} {ms * 1e3:.2f} {(nbytes + k * 2 + m * 2) / (ms * 1e-3) / 1e9:.1f}", flush=True)
    del ws
    torch.cuda.empty_cache()
