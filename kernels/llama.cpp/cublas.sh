#!/usr/bin/env bash
# Finds cuBLAS for a CUDA build of llama.cpp and prints the CMake options that point FindCUDAToolkit at it, one per
# line. cuBLAS is often not in the CUDA toolkit's own folder: pip's nvidia-cublas wheel (PyTorch's) carries it.
# Candidates, in order, each skipped with the reason said on stderr:
#   1. $CUBLAS_ROOT (a folder with include/cublas_v2.h and lib/ or lib64/ holding libcublas.so*)
#   2. the toolkit beside nvcc
#   3. python3's nvidia/cu13 or nvidia/cublas packages (pip install nvidia-cublas)
#   4. a wheel file nvidia_cublas-*.whl under $CUBLAS_WHEELS (default /opt/pypi-more/files), unpacked into
#      $CUBLAS_CACHE (default /var/cache/onebit/cublas)
# Exits 1 when none has it. Usage: kernels/llama.cpp/cublas.sh
set -euo pipefail

options() {  # ROOT: the options when ROOT holds cuBLAS, else a reason on stderr and status 1
  local root=$1 lib
  [ -f "$root/include/cublas_v2.h" ] || { echo "cublas.sh: skipped $root: no include/cublas_v2.h" >&2; return 1; }
  for lib in "$root/lib64" "$root/lib"; do
    if compgen -G "$lib/libcublas.so*" >/dev/null && compgen -G "$lib/libcublasLt.so*" >/dev/null; then
      # FindCUDAToolkit wants the plain names; wheels ship only the versioned ones.
      [ -e "$lib/libcublas.so" ] || ln -sf "$(basename "$(ls "$lib"/libcublas.so.* | head -n 1)")" "$lib/libcublas.so" 2>/dev/null || true
      [ -e "$lib/libcublasLt.so" ] || ln -sf "$(basename "$(ls "$lib"/libcublasLt.so.* | head -n 1)")" "$lib/libcublasLt.so" 2>/dev/null || true
      printf '%s\n' "-DCUDA_cublas_LIBRARY=$lib/libcublas.so" "-DCUDA_cublasLt_LIBRARY=$lib/libcublasLt.so" \
        "-DCMAKE_CUDA_FLAGS=-I$root/include" "-DCMAKE_CXX_FLAGS=-I$root/include" "-DCMAKE_BUILD_RPATH=$lib"
      return 0
    fi
  done
  echo "cublas.sh: skipped $root: no libcublas.so* with libcublasLt.so* in lib64/ or lib/" >&2
  return 1
}

if [ -n "${CUBLAS_ROOT:-}" ] && options "$CUBLAS_ROOT"; then exit 0; fi
if nvcc=$(command -v nvcc); then
  options "$(dirname "$(dirname "$(readlink -f "$nvcc")")")" && exit 0
else
  echo "cublas.sh: skipped the CUDA toolkit: no nvcc on PATH" >&2
fi
if command -v python3 >/dev/null; then
  dirs=$(python3 -c 'import nvidia, os; print(" ".join(os.path.join(p, s) for p in nvidia.__path__ for s in ("cu13", "cublas")))' 2>/dev/null) \
    || echo "cublas.sh: skipped python3's nvidia packages: python3 has none (pip install nvidia-cublas)" >&2
  for dir in $dirs; do
    options "$dir" && exit 0
  done
else
  echo "cublas.sh: skipped python3's nvidia packages: no python3" >&2
fi
wheels=${CUBLAS_WHEELS:-/opt/pypi-more/files}
wheel=$(ls "$wheels"/nvidia_cublas-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$wheel" ]; then
  cache=${CUBLAS_CACHE:-/var/cache/onebit/cublas}/$(basename "$wheel" .whl)
  if [ ! -f "$cache/.unpacked" ]; then
    mkdir -p "$cache"
    python3 -m zipfile -e "$wheel" "$cache" && touch "$cache/.unpacked"
  fi
  for dir in "$cache"/nvidia/*/; do
    options "${dir%/}" && exit 0
  done
else
  echo "cublas.sh: skipped wheels: no nvidia_cublas-*.whl in $wheels" >&2
fi
echo "cublas.sh: no cuBLAS found; install it (CUDA toolkit's libcublas-dev, or pip install nvidia-cublas) or set CUBLAS_ROOT" >&2
exit 1
