#!/usr/bin/env bash
# Applies 1bit's ternary patch series (the files named in `series`, zero-context diffs) to a llama.cpp tree at the
# pinned commit: node-llama-cpp@3.21.1's bundle, 80fb11ac. Each patch is checked before any is applied, so a tree
# is left either untouched or fully patched. Usage: kernels/llama.cpp/apply.sh TREE
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=${1:?usage: apply.sh LLAMA_CPP_TREE}
pinned=80fb11ac73e66d89eae2c6a91d8a77428fa733ed
head=$(git -C "$tree" rev-parse HEAD)
[ "$head" = "$pinned" ] || { echo "apply.sh: $tree is at $head, the series is for $pinned (node-llama-cpp@3.21.1)" >&2; exit 2; }
if [ -n "$(git -C "$tree" status --porcelain)" ]; then
  echo "apply.sh: $tree has changes; the series applies to a clean tree (git -C $tree checkout -f . && git -C $tree clean -fd)" >&2
  exit 2
fi
mapfile -t patches < "$here/series"
# git apply checks a whole list at once: the later patches see the earlier ones' changes.
git -C "$tree" apply --check --unidiff-zero "${patches[@]/#/$here/}"
git -C "$tree" apply --unidiff-zero "${patches[@]/#/$here/}"
echo "apply.sh: ${#patches[@]} patches applied to $tree" >&2
