"""The table of run_h200.sh's llama-bench rows (one JSON line each: variant, gpu, llama-bench's jsonl row): prompt
and generation tokens/s per variant, generation against the bandwidth limit (streaming bandwidth / bytes of weights
read per token: every tensor but the token embedding, of which a token reads one row) and against Q4_0's.
usage: bench_table.py BENCH.jsonl STREAM_GBS SIZE"""
import json
import sys

path, stream, size = sys.argv[1], float(sys.argv[2]), sys.argv[3]
hidden = {"8b": 4096, "70b": 8192, "tiny": 256}[size]
vocab = 512 if size == "tiny" else 32000
embedding = hidden * vocab * 2  # F16 token embedding (make_ternary_gguf)

cells = {}
for line in open(path):
    doc = json.loads(line)
    row = doc["row"]
    test = "pp" if row["n_gen"] == 0 else "tg"
    cell = cells.setdefault(doc["variant"], {"bytes": row["model_size"] - embedding})
    cell[test] = row["avg_ts"]

q4 = cells.get("q4_0", {})
print(f"llama-bench -p 512 -n 128, {size}-class test model (make_ternary_gguf), streaming bandwidth {stream:.0f} GB/s")
print()
print("| variant | weights read per token GB | pp512 t/s | tg128 t/s | bandwidth limit t/s | tg ÷ limit "
      "| tg ÷ Q4_0 | pp ÷ Q4_0 |")
print("|---|---|---|---|---|---|---|---|")
for variant, c in cells.items():
    limit = stream * 1e9 / c["bytes"]
    tg, pp = c.get("tg", float("nan")), c.get("pp", float("nan"))
    print(f"| {variant} | {c['bytes'] / 1e9:.2f} | {pp:.1f} | {tg:.2f} | {limit:.1f} | {tg / limit:.2f} | "
          f"{tg / q4.get('tg', float('nan')):.2f} | {pp / q4.get('pp', float('nan')):.2f} |")
