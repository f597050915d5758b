#!/usr/bin/env bash
# The HIP path, compiled: every GPU source (and the GPU tests) through hipcc for an RDNA3 wave32 target, device
# code only (no AMD GPU or device libraries here to link or run against), then checks on the generated ISA:
# every kernel is wave32 and the GEMV's int8 dot products are the hardware v_dot4_i32_iu8 (sudot4).
# gfx1100 stands in for gfx1151: the clang this toolchain ships (15) predates gfx1151, an RDNA3.5 part with the
# same wave32 ISA and dot instructions.
# Usage: tools/hip_compile_check.sh OUTDIR [ARCH]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?OUTDIR}; arch=${2:-gfx1100}
mkdir -p "$out"
command -v hipcc >/dev/null || { echo "hip_compile_check: hipcc is not installed (apt-get install --no-install-recommends hipcc)" >&2; exit 1; }
export HIP_PLATFORM=amd  # hipcc would pick the NVIDIA platform where nvcc is installed
fail=0
for src in src/quantize_activations.cu src/gemv.cu src/dequantize.cu tests/test_gpu.cu; do
  s="$out/$(basename "$src" .cu)-$arch.s"
  if ! hipcc -std=c++20 -O3 --offload-arch="$arch" -nogpulib --cuda-device-only -S -DONEBIT_GPU=HIP -Iinclude \
      -x hip "$src" -o "$s" 2>"$s.log"; then
    echo "FAIL: $src does not compile for $arch:"; grep -E "error" "$s.log" | head -20; fail=1; continue
  fi
  kernels=$(grep -c '^\s*\.amdhsa_kernel ' "$s" || true)
  wave32=$(grep -c '^\s*\.amdhsa_wavefront_size32 1' "$s" || true)
  if [ "$kernels" -eq 0 ] || [ "$kernels" -ne "$wave32" ]; then
    echo "FAIL: $src: $wave32 of $kernels kernels are wave32"; fail=1
  else
    echo "ok: $src: $kernels kernels, all wave32"
  fi
done
gemv="$out/gemv-$arch.s"
if [ -f "$gemv" ]; then
  for k in gemv_kernel gemv_staged_kernel; do
    grep -q "^_ZN.*${#k}${k}I" "$gemv" || { echo "FAIL: no $k in gemv.cu's code for $arch"; fail=1; }
  done
  dots=$(grep -c 'v_dot4_i32_iu8' "$gemv" || true)
  if [ "$dots" -gt 0 ]; then echo "ok: gemv.cu: $dots v_dot4_i32_iu8"; else echo "FAIL: gemv.cu uses no v_dot4_i32_iu8"; fail=1; fi
fi
exit $fail
