#!/usr/bin/env bash
# The test command (README.md): Java modules against real Podman, then the kernels' CPU tests, the HIP build for
# gfx1151 (ctest hip_compile), the CUDA build compiled for sm_90 (no GPU here to run either), and the llama.cpp
# patch series' checks (kernels/llama.cpp/ci_check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
mvn -B -ntp verify
if [ -f kernels/CMakeLists.txt ]; then
  cmake -S kernels -B kernels/build-ci -DCMAKE_BUILD_TYPE=Release -DONEBIT_GPU=OFF -DONEBIT_HIP_CHECK=ON >/dev/null
  cmake --build kernels/build-ci -j 2
  ctest --test-dir kernels/build-ci --output-on-failure
  # The CUDA build (library, GPU tests, benchmark, memonly build) compiled for sm_90; no GPU here to run it
  # (kernels/bench/run_h100.sh does, on one).
  export PATH=/usr/local/cuda/bin:$PATH
  command -v nvcc >/dev/null || { echo "nvcc (CUDA toolkit, /usr/local/cuda) is missing: the kernels' CUDA build cannot be checked" >&2; exit 1; }
  cmake -S kernels -B kernels/build-cuda-ci -DCMAKE_BUILD_TYPE=Release -DONEBIT_GPU=CUDA -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DONEBIT_CUDA_NO_LOCAL_MEMORY=ON >/dev/null
  cmake --build kernels/build-cuda-ci -j 2
  # The llama.cpp patch series (kernels/llama.cpp): it applies to the pinned commit, the tree the tests' llama-server
  # was built from carries it, its CUDA translation units compile with nvcc, the ternary test models run.
  : "${ONEBIT_LLAMA_SERVER:?set it: export ONEBIT_LLAMA_SERVER=\$(bash .ci/build-llama-server.sh)}"
  bash kernels/llama.cpp/ci_check.sh "$(dirname "$ONEBIT_LLAMA_SERVER")" kernels/build-ci/make_ternary_gguf
fi
