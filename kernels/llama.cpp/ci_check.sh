#!/usr/bin/env bash
# CI's checks of the llama.cpp patch series (no GPU, 2 cores): the series applies cleanly to the pinned commit (a
# fresh clone of it), the patched tree's CPU build is the one CI's tests run (.ci/build-llama-server.sh built
# llama-server, llama-bench and the RPC worker from it), the translation units the series adds or changes compile
# with nvcc for sm_90 (compile_check.sh), and make_ternary_gguf's test models load and run in that llama-bench in
# every format. Usage: kernels/llama.cpp/ci_check.sh LLAMA_BIN_DIR MAKE_TERNARY_GGUF
#   (LLAMA_BIN_DIR: .ci/build-llama-server.sh's bin/, whose parent holds the patched tree llama.cpp/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${1:?usage: ci_check.sh LLAMA_BIN_DIR MAKE_TERNARY_GGUF}" && pwd)
make_gguf=${2:?usage: ci_check.sh LLAMA_BIN_DIR MAKE_TERNARY_GGUF}
root=$(dirname "$bin")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git clone -q "$root/llama.cpp" "$work/pristine"
git -C "$work/pristine" -c advice.detachedHead=false checkout -q 80fb11ac73e66d89eae2c6a91d8a77428fa733ed
bash "$here/apply.sh" "$work/pristine"
diff -r -q -x .git "$work/pristine" "$root/llama.cpp" >/dev/null \
  || { echo "ci_check.sh: $root/llama.cpp is not the pinned tree with this series (rebuild: .ci/build-llama-server.sh)" >&2; exit 1; }

bash "$here/compile_check.sh" "$root/llama.cpp" "$root/build-cuda-check"

for type in tq2_0 tq1_0 q4_0 q8_0 f16; do
  "$make_gguf" --size tiny --type "$type" --out "$work/tiny-$type.gguf" >/dev/null
  "$bin/llama-bench" -m "$work/tiny-$type.gguf" -p 32 -n 8 -r 1 -t 1 -o jsonl >"$work/bench-$type.jsonl" 2>"$work/bench.err" \
    || { cat "$work/bench.err" >&2; echo "ci_check.sh: llama-bench failed on the tiny $type model" >&2; exit 1; }
  row=$(tail -n 1 "$work/bench-$type.jsonl")
  sed "s/^/{\"variant\":\"$type\",\"gpu\":false,\"row\":/; s/\$/}/" "$work/bench-$type.jsonl" >>"$work/bench.jsonl"
  python3 -c 'import json, sys; r = json.loads(sys.argv[1]); assert r["n_gen"] == 8 and r["avg_ts"] > 0, r' "$row" \
    || { echo "ci_check.sh: llama-bench gave no generation result for the tiny $type model: $row" >&2; exit 1; }
  echo "ci_check.sh: tiny $type model: $(python3 -c 'import json, sys; print(round(json.loads(sys.argv[1])["avg_ts"]))' "$row") tokens/s generated on the CPU" >&2
done
# The GPU run's table (run_h200.sh → bench_table.py) from these rows: a line per variant, ratios to Q4_0.
bash -n "$here/run_h200.sh"
table=$(python3 "$here/bench_table.py" "$work/bench.jsonl" 100 tiny)
[ "$(grep -cE '^\| (tq2_0|tq1_0|q4_0|q8_0|f16) \|' <<<"$table")" -eq 5 ] && grep -q '^| q4_0 | .* | 1.00 | 1.00 |$' <<<"$table" \
  || { echo "ci_check.sh: bench_table.py did not make the table of the tiny models' rows:" >&2; echo "$table" >&2; exit 1; }
echo "ci_check.sh: the series applies, its CUDA units compile, the test models run" >&2
