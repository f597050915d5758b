"""Table for bench/instant.sh: medians over rounds of requests/s, p50 and proxy CPU per request per cell, with the
added p50 over direct and 1bit ÷ nginx ratios. usage: instant_report.py RAW.tsv CLK_TCK"""
import collections
import statistics
import sys

raw, tck = sys.argv[1], int(sys.argv[2])
cells = collections.defaultdict(list)


def ms(text):
    """wrk's latency ('512.00us', '1.20ms', '2.00s') in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


with open(raw) as f:
    for line in f:
        r, c, t, rps, p50, ticks, requests, non2xx = line.rstrip("\n").split("\t")
        cpu_us = int(ticks) * 1e6 / tck / max(1, int(requests)) if t != "direct" else 0.0
        cells[(int(c), t)].append((float(rps), ms(p50), cpu_us, int(non2xx)))

print("| connections | target | requests/s | p50 ms | added p50 µs | proxy CPU µs/request | non-2xx | 1bit ÷ nginx requests/s | 1bit ÷ nginx CPU |")
print("|---|---|---|---|---|---|---|---|---|")
for c in sorted({k[0] for k in cells}):
    med = {t: tuple(statistics.median(x[i] for x in cells[(c, t)]) for i in range(3)) for t in ("direct", "nginx", "1bit")}
    bad = {t: sum(x[3] for x in cells[(c, t)]) for t in med}
    for t in ("direct", "nginx", "1bit"):
        rps, p50, cpu = med[t]
        added = "" if t == "direct" else f"{(p50 - med['direct'][1]) * 1000:+.0f}"
        cpu_text = "" if t == "direct" else f"{cpu:.0f}"
        ratio = f"{rps / med['nginx'][0]:.2f}" if t == "1bit" else ""
        cpu_ratio = f"{cpu / med['nginx'][2]:.2f}" if t == "1bit" and med["nginx"][2] else ""
        print(f"| {c} | {t} | {rps:.0f} | {p50:.3f} | {added} | {cpu_text} | {bad[t]} | {ratio} | {cpu_ratio} |")
