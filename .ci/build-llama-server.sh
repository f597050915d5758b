#!/usr/bin/env bash
# Builds a real llama-server from the llama.cpp source shipped inside the npm tarball node-llama-cpp@3.21.1
# (package/llama/gitRelease.bundle, a git bundle) and caches the binary outside the clone, keyed by version.
# None of that source is committed. About 20 minutes on 2 cores, once per machine.
# Prints the binary's path. Usage: .ci/build-llama-server.sh
set -euo pipefail
version=3.21.1
cache=${ONEBIT_CACHE:-/var/cache/onebit}/llama-server-node-llama-cpp-$version
bin=$cache/llama-server
if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
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
  -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF >&2
cmake --build "$work/build" --target llama-server -j "$(nproc)" >&2
mkdir -p "$cache"
cp "$work/build/bin/llama-server" "$bin.tmp" && mv "$bin.tmp" "$bin"
echo "$bin"
