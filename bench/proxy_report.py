"""Tables for bench/proxy.sh from its raw rounds: each cell is the median over the rounds. Ratios and latency
differences are paired: taken within each round (whose targets ran back to back, so a slow spell of this shared
machine falls on all of them) and then the median over the rounds; a streaming cell that runs several sub-runs a
round pairs each target's sub-run with direct's sub-run of the same index. Raw lines (tab-separated):
wrk CONNECTIONS TARGET RPS P50 P99 CPU_TICKS REQUESTS, stream MODEL STREAMS TARGET CLIENT_JSON CPU_TICKS TOKENS (CPU_TICKS
empty for direct), and ttft TARGET CLIENT_JSON (one short stream).
usage: proxy_report.py RAW.tsv ROUNDS CLOCK_TICKS_PER_SECOND"""
import json
import statistics
import sys
from collections import defaultdict


def ms(text):
    """wrk's latency ("794.00us", "0.98ms", "1.66s") in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float("nan")


raw, rounds, hz = sys.argv[1], sys.argv[2], float(sys.argv[3])


def cpu_us(ticks, count):
    """CPU µs per unit (request or token) from clock ticks; None where no relay was measured."""
    return float(ticks) / hz * 1e6 / float(count) if ticks and float(count) > 0 else None


wrk, stream, ttft = defaultdict(list), defaultdict(list), defaultdict(list)
for line in open(raw):
    f = line.rstrip("\n").split("\t")
    if f[0] == "ttft":
        ttft[f[1]].append(json.loads(f[2])["ttft_ms"])
    elif f[0] == "wrk":
        wrk[(int(f[1]), f[2])].append((float(f[3]), ms(f[4]), ms(f[5]), cpu_us(f[6], f[7])))
    else:
        client = json.loads(f[4])
        stream[(f[1], int(f[2]), f[3])].append((client["ttft_ms"], client["tokens_per_s"], cpu_us(f[5], f[6]),
                                                client["delivered_over_generated"]))


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def paired(rows, base, index, op):
    """Median over the rounds of op(target's value, base's value in the same round)."""
    return med(op(a[index], b[index]) for a, b in zip(rows, base))


print(f"Small non-streaming requests (wrk, one-token completions), median of {rounds} rounds "
      "(ratios and differences paired within each round):")
print()
print("| target | connections | requests/s | p50 ms | p99 ms | requests/s ÷ nginx | p50 − direct ms "
      "| proxy CPU µs per request |")
print("|---|---|---|---|---|---|---|---|")
for c in (1, 16, 64):
    cell = {t: [med(x[i] for x in wrk[(c, t)]) for i in range(4)] for t in ("direct", "1bit", "nginx")}
    for t in ("direct", "1bit", "nginx"):
        rps, p50, p99, cpu = cell[t]
        ratio = paired(wrk[(c, t)], wrk[(c, "nginx")], 0, lambda a, b: a / b)
        added = paired(wrk[(c, t)], wrk[(c, "direct")], 1, lambda a, b: a - b)
        print(f"| {t} | {c} | {rps:.0f} | {p50:.2f} | {p99:.2f} | {ratio:.3f} | "
              f"{added:+.2f} | {'' if cpu is None else f'{cpu:.0f}'} |")
for model, title in (("tiny", "the tiny model (thousands of tokens/s)"),
                     ("mid", "the 384 x 12 model (a few hundred tokens/s, nearer a real model's speed)")):
    print()
    print(f"Streaming chat, {title}, {rounds} rounds, medians over every sub-run (÷ direct paired with the "
          "direct sub-run next to it; delivered ÷ generated: the tokens/s the client received over the tokens/s the "
          "backend reported generating for the same streams, paired the same way):")
    print()
    print("| target | streams | sub-runs | time to first token ms | tokens/s per stream | ÷ direct "
          "| delivered ÷ generated, ÷ direct's | proxy CPU µs per token |")
    print("|---|---|---|---|---|---|---|---|")
    for s in (1, 8):
        for t in ("direct", "1bit", "nginx"):
            rows = stream[(model, s, t)]
            cpu = med(x[2] for x in rows)
            tps = med(x[1] for x in rows)
            ratio = paired(rows, stream[(model, s, "direct")], 1, lambda a, b: a / b)
            relay = paired(rows, stream[(model, s, "direct")], 3, lambda a, b: a / b)
            print(f"| {t} | {s} | {len(rows)} | {med(x[0] for x in rows):.1f} | {tps:.0f} | {ratio:.3f} | {relay:.4f} | "
                  f"{'' if cpu is None else f'{cpu:.0f}'} |")

if ttft:
    print()
    print("Time to first token alone: single 2-token streams of the 384 x 12 model, the targets interleaved; "
          "the difference is paired with direct's stream next to it, then the median:")
    print()
    print("| target | streams | time to first token ms, median | p90 ms | − direct ms, median of pairs |")
    print("|---|---|---|---|---|")
    for t in ("direct", "1bit", "nginx"):
        values = ttft[t]
        diff = med(a - b for a, b in zip(values, ttft["direct"]))
        p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]
        print(f"| {t} | {len(values)} | {med(values):.2f} | {p90:.2f} | {diff:+.2f} |")
