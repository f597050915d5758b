#!/usr/bin/env bash
# Builds llama.cpp with 1bit's ternary kernels: the source bundled in node-llama-cpp@3.21.1 (llama.cpp 80fb11ac,
# the tree CI tests with), the patch series applied (apply.sh), and llama-server, llama-bench, llama-perplexity and
# test-backend-ops built for one back end:
#   cuda  NVIDIA, sm_90 unless CUDA_ARCHS says otherwise (H100/H200: where the kernels are measured)
#   hip   AMD ROCm, gfx1151 unless GPU_TARGETS says otherwise (Strix Halo)
#   cpu   no GPU (the series changes nothing there; CI builds this)
# Usage: kernels/llama.cpp/build.sh cuda|hip|cpu OUTDIR    (OUTDIR/bin holds the programs; the source and build
# folders stay in OUTDIR, so a second run rebuilds only what changed). Needs npm (or LLAMA_BUNDLE=path to the
# bundle), git, cmake, a C++ compiler, and nvcc with cuBLAS or ROCm with hipBLAS for the GPU back ends.
# TARGETS="..." builds other targets; CMAKE_EXTRA="-DX=Y ..." adds configure options (CI: -DGGML_RPC=ON).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
backend=${1:?usage: build.sh cuda|hip|cpu OUTDIR}
out=$(mkdir -p "${2:?usage: build.sh cuda|hip|cpu OUTDIR}" && cd "$2" && pwd)
case $backend in
  cuda)
    flags=(-DGGML_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHS:-90-real}")
    mapfile -t -O "${#flags[@]}" flags < <(bash "$here/cublas.sh")
    [ "${#flags[@]}" -gt 2 ] || exit 1  # cublas.sh said why
    ;;
  hip) flags=(-DGGML_HIP=ON "-DGPU_TARGETS=${GPU_TARGETS:-gfx1151}") ;;
  cpu) flags=() ;;
  *) echo "build.sh: back end '$backend' is not cuda, hip or cpu" >&2; exit 2 ;;
esac
for tool in git cmake; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing" >&2; exit 1; }
done

src=$out/llama.cpp
if [ ! -d "$src/.git" ]; then
  bundle=${LLAMA_BUNDLE:-}
  if [ -z "$bundle" ]; then
    command -v npm >/dev/null || { echo "build.sh: npm is missing (or set LLAMA_BUNDLE to gitRelease.bundle)" >&2; exit 1; }
    (cd "$out" && npm pack --silent node-llama-cpp@3.21.1 >/dev/null && tar -xzf node-llama-cpp-3.21.1.tgz package/llama/gitRelease.bundle)
    bundle=$out/package/llama/gitRelease.bundle
  fi
  git clone -q "$bundle" "$src"
fi
# Back to the pinned tree (only files a patch touched change, so make rebuilds only those), then the series.
git -C "$src" -c advice.detachedHead=false checkout -q -f 80fb11ac73e66d89eae2c6a91d8a77428fa733ed
git -C "$src" clean -qfd
bash "$here/apply.sh" "$src"

read -r -a targets <<<"${TARGETS:-llama-server llama-bench llama-perplexity test-backend-ops}"
read -r -a extra <<<"${CMAKE_EXTRA:-}"
cmake -S "$src" -B "$out/build-$backend" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=ON -DBUILD_SHARED_LIBS=OFF \
  "-DONEBIT_KERNELS_DIR=$(dirname "$here")" "${flags[@]}" "${extra[@]}" >&2
cmake --build "$out/build-$backend" --target "${targets[@]}" -j "$(nproc)" >&2
mkdir -p "$out/bin"
for t in "${targets[@]}"; do
  cp "$out/build-$backend/bin/$t" "$out/bin/$t"
done
echo "$out/bin"
