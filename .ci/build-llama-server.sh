#!/usr/bin/env bash
# Builds llama.cpp from the source shipped inside the npm tarball node-llama-cpp@3.21.1 (package/llama/gitRelease.bundle,
# a git bundle) once per machine, with every target the tests use: llama-server, llama-bench and the RPC worker
# (rpc-server; -DGGML_RPC=ON, so llama-server can offload to workers), and caches the binaries outside the clone,
# keyed by version. None of that source is committed. About 25 minutes on 2 cores, once per machine.
# Prints llama-server's path (the others sit beside it). Usage: .ci/build-llama-server.sh
set -euo pipefail
version=3.21.1
cache=${ONEBIT_CACHE:-/var/cache/onebit}/llama-cpp-node-llama-cpp-$version-rpc
bin=$cache/llama-server
if [ -x "$bin" ] && [ -x "$cache/llama-bench" ] && [ -x "$cache/rpc-server" ] && "$bin" --version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi
for tool in npm git cmake g++; do
  command -v "$tool" >/dev/null || { echo "build-llama-server: $tool is missing" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-llama-cpp@$version" >/dev/null && tar -xzf node-llama-cpp-$version.tgz package/llama/gitRelease.bundle)
git clone -q "$work/package/llama/gitRelease.bundle" "$work/llama.cpp"
cmake -S "$work/llama.cpp" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF -DGGML_RPC=ON >&2
# The RPC worker's target: ggml-rpc-server in this llama.cpp (older trees and images call it rpc-server).
# (Captured, not piped into grep -q: with pipefail, grep's early exit would fail the pipe.)
targets=$(cmake --build "$work/build" --target help)
rpc="rpc-server"
case $targets in *ggml-rpc-server*) rpc="ggml-rpc-server" ;; esac
cmake --build "$work/build" --target llama-server llama-bench "$rpc" -j "$(nproc)" >&2
mkdir -p "$cache"
for tool in llama-server llama-bench; do
  cp "$work/build/bin/$tool" "$cache/$tool.tmp" && mv "$cache/$tool.tmp" "$cache/$tool"
done
cp "$work/build/bin/$rpc" "$cache/rpc-server.tmp" && mv "$cache/rpc-server.tmp" "$cache/rpc-server"
echo "$bin"
