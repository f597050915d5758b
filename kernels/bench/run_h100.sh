#!/usr/bin/env bash
# On a machine with an NVIDIA GPU (CUDA toolkit, torch): build, run the GPU tests, then the benchmark and the f16
# baseline in the same run, and print the table. Usage: kernels/bench/run_h100.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build-cuda}
cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DONEBIT_GPU=CUDA -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
cmake --build build-cuda
ctest --test-dir build-cuda --output-on-failure
mkdir -p "$out"
./build-cuda/bench_gemv 20 | tee "$out/results.txt"
python3 bench/f16_baseline.py 20 | tee -a "$out/results.txt"
python3 bench/report.py "$out/results.txt" | tee "$out/table.md"
