#!/usr/bin/env bash
# The test command (README.md): Java modules against real Podman, then the kernels' CPU tests and the HIP
# device code compiled for RDNA3 (no AMD GPU here to run it).
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
mvn -B -ntp verify
if [ -f kernels/CMakeLists.txt ]; then
  cmake -S kernels -B kernels/build-ci -DCMAKE_BUILD_TYPE=Release -DONEBIT_GPU=OFF -DONEBIT_HIP_CHECK=ON >/dev/null
  cmake --build kernels/build-ci -j 2
  ctest --test-dir kernels/build-ci --output-on-failure
fi
