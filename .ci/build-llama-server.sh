#!/usr/bin/env bash
# Builds llama.cpp from the source shipped inside the npm tarball node-llama-cpp@3.21.1 (package/llama/gitRelease.bundle,
# a git bundle) with 1bit's ternary patch series applied (kernels/llama.cpp/build.sh cpu: the series changes nothing
# a CPU build compiles, and building the patched tree is CI's check that it still builds), once per machine and per
# series, with every target the tests use: llama-server, llama-bench and the RPC worker (rpc-server; -DGGML_RPC=ON,
# so llama-server can offload to workers). The tree and its build folder stay in the cache, outside the clone: a
# changed series rebuilds only the files it touches. None of that source is committed. About 25 minutes on 2 cores
# the first time. Prints llama-server's path (the others sit beside it). Usage: .ci/build-llama-server.sh
set -euo pipefail
cd "$(dirname "$0")/.."
version=3.21.1
cache=${ONEBIT_CACHE:-/var/cache/onebit}/llama-cpp-node-llama-cpp-$version-ternary
bin=$cache/bin/llama-server
series=$(cd kernels/llama.cpp && cat series $(cat series) | sha256sum | cut -c1-16)
if [ -x "$bin" ] && [ -x "$cache/bin/llama-bench" ] && [ -x "$cache/bin/rpc-server" ] \
    && [ "$(cat "$cache/series.sha" 2>/dev/null)" = "$series" ] && "$bin" --version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi
for tool in npm git cmake g++; do
  command -v "$tool" >/dev/null || { echo "build-llama-server: $tool is missing" >&2; exit 1; }
done
mkdir -p "$cache"
rm -f "$cache/series.sha"
TARGETS="llama-server llama-bench ggml-rpc-server" CMAKE_EXTRA="-DGGML_RPC=ON -DLLAMA_BUILD_TESTS=OFF" \
  bash kernels/llama.cpp/build.sh cpu "$cache" >/dev/null
# The RPC worker's name in this llama.cpp is ggml-rpc-server (older trees and images call it rpc-server).
cp "$cache/bin/ggml-rpc-server" "$cache/bin/rpc-server.tmp" && mv "$cache/bin/rpc-server.tmp" "$cache/bin/rpc-server"
echo "$series" > "$cache/series.sha"
echo "$bin"
