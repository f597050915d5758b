#!/usr/bin/env bash
# CI's check of the CUDA side of the series without a GPU (the whole CUDA backend takes hours on 2 cores): in a
# patched tree, configures a CUDA build for sm_90 (cuBLAS found by cublas.sh) and compiles with nvcc only the
# translation units the series adds or changes (named by the patches' "+++ b/ggml/src/ggml-cuda/*.cu" lines), and
# the kernels library the backend links. The build folder is kept, so a second run recompiles only what changed.
# Usage: kernels/llama.cpp/compile_check.sh PATCHED_TREE BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=${1:?usage: compile_check.sh PATCHED_TREE BUILD_DIR}
build=${2:?usage: compile_check.sh PATCHED_TREE BUILD_DIR}
export PATH=/usr/local/cuda/bin:$PATH
command -v nvcc >/dev/null || { echo "compile_check.sh: nvcc (CUDA toolkit, /usr/local/cuda) is missing" >&2; exit 1; }
[ -f "$tree/ggml/src/ggml-cuda/onebit.cmake" ] || { echo "compile_check.sh: $tree is not patched (apply.sh)" >&2; exit 1; }
mapfile -t cublas < <(bash "$here/cublas.sh")
[ "${#cublas[@]}" -gt 0 ] || exit 1  # cublas.sh said why
cmake -S "$tree" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90-real \
  -DGGML_CUDA_NO_VMM=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DBUILD_SHARED_LIBS=OFF "-DONEBIT_KERNELS_DIR=$(dirname "$here")" "${cublas[@]}" >/dev/null
mapfile -t units < <(sed -n 's|^+++ b/ggml/src/ggml-cuda/\(.*\)\.cu$|\1.o|p' $(sed "s|^|$here/|" "$here/series") | sort -u)
[ "${#units[@]}" -gt 0 ] || { echo "compile_check.sh: the series changes no CUDA translation unit?" >&2; exit 1; }
echo "compile_check.sh: nvcc -c for sm_90: ${units[*]} and onebit_ternary" >&2
make -s -C "$build/ggml/src/ggml-cuda" "${units[@]}" onebit_ternary -j "$(nproc)"
