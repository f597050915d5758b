#!/usr/bin/env bash
# On a CUDA machine: the GPU tests, the full benchmark with its f16 baseline, then compile-time variants of the
# GEMV at the large shapes (VARIANT_SHAPES="M,K ..." for others), all in one run (same card).
# Usage: kernels/bench/variants.sh OUTDIR "NAME:FLAGS" ...
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?OUTDIR}; shift
mkdir -p "$out"
export PATH=/usr/local/cuda/bin:$PATH
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv,noheader | tee "$out/results.txt"
cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DONEBIT_GPU=CUDA -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
cmake --build build-cuda >build-cuda/build.log 2>&1 || { tail -30 build-cuda/build.log; exit 1; }
for v in "$@"; do
  name=${v%%:*}; flags=${v#*:}
  # bench/variant-NAME/, when present, overlays a copy of src/ (a changed decoder, say)
  src=build-cuda/src-$name; rm -rf "$src"; cp -r src "$src"
  [ -d "bench/variant-$name" ] && cp "bench/variant-$name"/* "$src"/
  (nvcc -std=c++20 -O3 -arch=sm_90 -DONEBIT_GPU=CUDA $flags -Iinclude $src/quantize_activations.cu $src/gemv.cu \
     $src/dequantize.cu $src/reference.cpp bench/bench_gemv.cu -o "build-cuda/bench_$name" >"build-cuda/build_$name.log" 2>&1 \
     || { echo "BUILD FAILED $name"; tail -20 "build-cuda/build_$name.log"; }) &
done
ctest --test-dir build-cuda --output-on-failure >"$out/ctest.log" 2>&1 && echo "CTEST OK" || { echo "CTEST FAILED"; grep -E "FAIL|fail" "$out/ctest.log" | head -20; }
wait
./build-cuda/bench_gemv 20 | tee -a "$out/results.txt"
python3 bench/f16_baseline.py 20 | tee -a "$out/results.txt"
python3 bench/report.py "$out/results.txt" >"$out/table.md"
for v in "$@" "memonly:"; do
  name=${v%%:*}
  bin=build-cuda/bench_$name; [ "$name" = memonly ] && bin=build-cuda/bench_gemv_memonly
  for shape in ${VARIANT_SHAPES:-"128256,4096" "14336,4096" "4096,14336"}; do
    shape=${shape/,/ }
    for f in TQ2_0 TQ1_0 Q1_0; do
      $bin 20 $f $shape | grep -E "^(READ|GEMV|HOSTPACED|PLAN)|TUNE.*(rows=2|staged)" | sed "s/^/$name /"
    done
  done
done | tee "$out/variants.txt"
if [ -n "${NCU_CASES:-}" ]; then
  for c in $NCU_CASES; do
    f=${c%%,*}; rest=${c#*,}; m=${rest%%,*}; k=${rest#*,}
    timeout 120 ncu --clock-control none -k regex:gemv_staged -c 1 --section SpeedOfLight --section Occupancy \
      --section WarpStateStats --section ComputeWorkloadAnalysis --section SchedulerStats --section MemoryWorkloadAnalysis \
      --section InstructionStats --section LaunchStats \
      ./build-cuda/bench_gemv 1 $f $m $k >"$out/ncu_$f.txt" 2>&1 || echo "NCU FAILED $f"
  done
fi
if [ -n "${SASS:-}" ]; then
  # The staged kernels' SASS (4 rows per warp) and their opcode counts.
  cuobjdump -sass build-cuda/bench_gemv | awk '/Function : .*gemv_staged_kernel.*Li8E/{f=1} /Function :/&&!/gemv_staged_kernel.*Li8E/{f=0} f' >"$out/sass.txt"
fi
