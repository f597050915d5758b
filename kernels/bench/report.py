"""Turns bench_gemv and f16_baseline output into the Markdown table of kernels/README.md.
   python3 bench/report.py RESULTS.txt"""
import sys

stream, device, f16, gemv = None, "", {}, {}
for line in open(sys.argv[1]):
    p = line.split()
    if not p:
        continue
    if p[0] == "DEVICE":
        device = " ".join(p[1:])
    elif p[0] == "STREAM":
        stream = float(p[1])
    elif p[0] == "F16":
        f16[(int(p[1]), int(p[2]))] = float(p[3])
    elif p[0] == "GEMV":
        gemv[(p[1], int(p[2]), int(p[3]))] = (float(p[4]), float(p[5]))
formats = ["TQ2_0", "TQ1_0", "Q1_0"]
print(f"Device: {device}; streaming read bandwidth: {stream:.0f} GB/s\n")
print("| M x K | f16 (torch/cuBLAS) us | " + " | ".join(f"{f} us | {f} GB/s | {f} % of stream | {f}/f16 time" for f in formats) + " |")
print("|---|---|" + "---|---|---|---|" * len(formats))
for (m, k), t16 in f16.items():
    row = [f"{m} x {k}", f"{t16:.1f}"]
    for f in formats:
        us, gbs = gemv.get((f, m, k), (float("nan"), float("nan")))
        row += [f"{us:.1f}", f"{gbs:.0f}", f"{100 * gbs / stream:.1f}", f"{us / t16:.3f}"]
    print("| " + " | ".join(row) + " |")
