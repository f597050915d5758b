"""Turns bench_gemv and f16_baseline output into the Markdown tables of kernels/README.md: the GPU's time with
launches queued (GEMV / F16 lines), then the same with host-paced launches (HOSTPACED lines) and replayed from a
CUDA graph (GRAPH lines).
   python3 bench/report.py RESULTS.txt"""
import sys

stream, device = None, ""
f16 = {"": {}, "HOSTPACED_": {}, "GRAPH_": {}}
gemv = {"": {}, "HOSTPACED": {}, "GRAPH": {}}
read = {}
for line in open(sys.argv[1]):
    p = line.split()
    if not p:
        continue
    if p[0] == "DEVICE":
        device = " ".join(p[1:])
    elif p[0] == "STREAM":
        stream = float(p[1])
    elif p[0] in ("F16", "HOSTPACED_F16", "GRAPH_F16"):
        f16[p[0][:-3]][(int(p[1]), int(p[2]))] = float(p[3])
    elif p[0] == "READ":
        read[(p[1], int(p[2]), int(p[3]))] = float(p[5])
    elif p[0] in ("GEMV", "HOSTPACED", "GRAPH"):
        gemv["" if p[0] == "GEMV" else p[0]][(p[1], int(p[2]), int(p[3]))] = (float(p[4]), float(p[5]))
formats = ["TQ2_0", "TQ1_0", "Q1_0"]
print(f"Device: {device}; streaming read bandwidth: {stream:.0f} GB/s")
for (title, g, h) in (("launches queued (the GPU's time)", gemv[""], f16[""]),
                      ("host-paced launches", gemv["HOSTPACED"], f16["HOSTPACED_"]),
                      ("100 launches captured in a CUDA graph, replayed (queued)", gemv["GRAPH"], f16["GRAPH_"])):
    if not h:
        continue
    print(f"\n{title}:\n")
    print("| M x K | f16 (torch/cuBLAS) us | " + " | ".join(f"{f} us | {f} GB/s | {f} % of stream | {f}/f16 time" for f in formats) + " |")
    print("|---|---|" + "---|---|---|---|" * len(formats))
    for (m, k), t16 in h.items():
        row = [f"{m} x {k}", f"{t16:.1f}"]
        for f in formats:
            us, gbs = g.get((f, m, k), (float("nan"), float("nan")))
            row += [f"{us:.1f}", f"{gbs:.0f}", f"{100 * gbs / stream:.1f}", f"{us / t16:.3f}"]
        print("| " + " | ".join(row) + " |")
if read:
    print("\nA plain read of the same bytes (queued launches), % of the streaming bandwidth, and each GEMV's GB/s as a % of it:\n")
    print("| M x K | " + " | ".join(f"{f} read % | {f} GEMV % of read" for f in formats) + " |")
    print("|---|" + "---|---|" * len(formats))
    for (m, k) in f16[""]:
        row = [f"{m} x {k}"]
        for f in formats:
            r = read.get((f, m, k), float("nan"))
            g = gemv[""].get((f, m, k), (float("nan"), float("nan")))[1]
            row += [f"{100 * r / stream:.1f}", f"{100 * g / r:.1f}"]
        print("| " + " | ".join(row) + " |")
