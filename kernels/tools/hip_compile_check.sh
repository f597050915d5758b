#!/usr/bin/env bash
# The HIP path, built for gfx1151 (Strix Halo) without an AMD GPU: the project's own CMake HIP configuration
# (ONEBIT_GPU=HIP: the kernels library, test_gpu and bench_gemv, host and device code, linked against the HIP
# runtime), then checks on the gfx1151 code objects it embedded: every kernel is wave32, none uses scratch
# memory or spills registers, and the GEMV's int8 dot products are the hardware v_dot4_i32_iu8 (sudot4).
# Nothing is run: there is no AMD GPU here.
#
# Toolchain: a clang that knows the target ($HIP_CLANG, ROCm's, or Debian's clang-19 or newer; clang 15/16, the
# one Debian's hipcc uses, predate gfx1151). ROCm: $ROCM_PATH or /opt/rocm when they have the target's device
# libraries; otherwise a ROCm root assembled under OUTDIR from Debian's HIP 5.2 packages (libamdhip64-dev,
# rocm-device-libs). HIP 5.2's device libraries predate gfx11, so that root gets the one file they lack,
# oclc_isa_version_1151.bc: a copy of another ISA's file with its single constant set to 11501 (what ROCm 6.1+
# ships for gfx1151).
# Usage: tools/hip_compile_check.sh OUTDIR [ARCH]      (CI: ctest -R hip_compile, CMake option ONEBIT_HIP_CHECK)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mkdir -p "${1:?OUTDIR}" && cd "$1" && pwd); arch=${2:-gfx1151}
fail() { echo "FAIL: $*"; exit 1; }

targets_arch() {  # does clang $1 generate code for $arch?
  echo 'int x;' | "$1" -x c - -target amdgcn-amd-amdhsa -mcpu="$arch" -nogpulib -c -o /dev/null 2>/dev/null
}
clang=""
for c in ${HIP_CLANG:-} /opt/rocm/llvm/bin/clang++ /usr/lib/llvm-{25,24,23,22,21,20,19}/bin/clang++; do
  if [ -x "$c" ] && targets_arch "$c"; then clang=$c; break; fi
done
[ -n "$clang" ] || fail "no clang that targets $arch (apt-get install clang-19 lld-19 llvm-19 clang-tools-19 libclang-rt-19-dev, or ROCm 6.1+)"
llvm=$(dirname "$clang")
for t in llvm-readelf llvm-objcopy llvm-objdump clang-offload-bundler; do
  [ -x "$llvm/$t" ] || fail "$llvm/$t is missing (apt-get install llvm-19 clang-tools-19)"
done
isa=${arch#gfx}
isa_bc=oclc_isa_version_${isa}.bc

cmake_extra=()
rocm=""
for r in ${ROCM_PATH:-} /opt/rocm; do
  if [ -f "$r/amdgcn/bitcode/$isa_bc" ] && [ -f "$r/lib/cmake/hip-lang/hip-lang-config.cmake" ]; then rocm=$r; break; fi
done
if [ -z "$rocm" ]; then
  deb_bc=/usr/lib/x86_64-linux-gnu/amdgcn/bitcode deb_cmake=/usr/lib/x86_64-linux-gnu/cmake
  [ -f "$deb_bc/ockl.bc" ] || fail "no ROCm device libraries (apt-get install rocm-device-libs)"
  if [ ! -f /usr/include/hip/hip_runtime.h ] || [ ! -d "$deb_cmake/hip-lang" ]; then
    fail "no HIP headers (apt-get install libamdhip64-dev)"
  fi
  rocm=$out/rocm
  rm -rf "$rocm"; mkdir -p "$rocm/amdgcn/bitcode" "$rocm/lib/cmake" "$rocm/share"
  ln -s /usr/include "$rocm/include"
  ln -s /usr/share/hip "$rocm/share/hip"
  for d in hip-lang hip amd_comgr hsa-runtime64 AMDDeviceLibs; do
    if [ -d "$deb_cmake/$d" ]; then ln -s "$deb_cmake/$d" "$rocm/lib/cmake/$d"; fi
  done
  for f in "$deb_bc"/*.bc; do ln -s "$f" "$rocm/amdgcn/bitcode/"; done
  if [ ! -f "$rocm/amdgcn/bitcode/$isa_bc" ]; then
    if [ ! -x "$llvm/llvm-dis" ] || [ ! -x "$llvm/llvm-as" ]; then
      fail "llvm-dis/llvm-as are missing (apt-get install llvm-19)"
    fi
    major=${isa:0:$((${#isa} - 2))} minor=$((16#${isa: -2:1})) step=$((16#${isa: -1}))
    "$llvm/llvm-dis" "$deb_bc/oclc_isa_version_1030.bc" -o - \
      | sed "s/constant i32 10300/constant i32 $((major * 1000 + minor * 100 + step))/" \
      | "$llvm/llvm-as" -o "$rocm/amdgcn/bitcode/$isa_bc"
  fi
  # Debian's hip-lang package lives in /usr, whose include directory must not become an -isystem.
  cmake_extra+=(-DCMAKE_HIP_IMPLICIT_INCLUDE_DIRECTORIES=/usr/include)
  export CMAKE_PREFIX_PATH=$rocm  # the compiler checks' try_compile projects find amd_comgr there
fi
echo "toolchain: $clang ($("$clang" --version | head -1)); ROCm root: $rocm"

build=$out/build-$arch
rm -rf "$build"
if ! cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DONEBIT_GPU=HIP -DCMAKE_HIP_COMPILER="$clang" \
    -DCMAKE_HIP_COMPILER_ROCM_ROOT="$rocm" -DCMAKE_HIP_ARCHITECTURES="$arch" -DCMAKE_HIP_FLAGS="--rocm-path=$rocm" \
    "${cmake_extra[@]}" >"$out/cmake-configure.log" 2>&1; then
  tail -30 "$out/cmake-configure.log"; fail "the HIP configuration does not configure"
fi
if ! cmake --build "$build" -j "$(nproc)" >"$out/cmake-build.log" 2>&1; then
  grep -E "error" "$out/cmake-build.log" | head -20; fail "the HIP configuration does not build for $arch"
fi
warnings=$(grep -c "warning:" "$out/cmake-build.log" || true)
echo "ok: ONEBIT_GPU=HIP builds for $arch: onebit_gpu, test_gpu, bench_gemv ($warnings compiler warnings)"

# The device code objects embedded in each HIP object file.
objects=$(find "$build/CMakeFiles" -name '*.cu.o' | sort)
[ -n "$objects" ] || fail "no HIP objects in $build"
report=$out/kernels-$arch.txt
: >"$report"
for o in $objects; do
  src=$(basename "$o" .cu.o)
  "$llvm/llvm-objcopy" --dump-section .hip_fatbin="$out/$src.fatbin" "$o" /dev/null
  # grep without -q: under pipefail, -q exits at the first match and the writer dies of SIGPIPE, failing the check.
  "$llvm/clang-offload-bundler" --list --type=o --input="$out/$src.fatbin" | grep -x "hipv4-amdgcn-amd-amdhsa--$arch" >/dev/null \
    || fail "$src: no $arch code object in its fat binary"
  co=$out/$src-$arch.co
  "$llvm/clang-offload-bundler" --unbundle --type=o --input="$out/$src.fatbin" \
    --targets="hipv4-amdgcn-amd-amdhsa--$arch" --output="$co"
  "$llvm/llvm-readelf" -h "$co" | grep "Flags:.*$arch" >/dev/null || fail "$src: code object is not for $arch"
  # One line per kernel from the code object's metadata: name, wave size, scratch bytes, spills, registers, LDS.
  "$llvm/llvm-readelf" --notes "$co" | awk -v src="$src" '
    $1 == ".group_segment_fixed_size:" { lds = $2 }
    $1 == ".name:" { name = $2 }
    $1 == ".private_segment_fixed_size:" { scratch = $2 }
    $1 == ".sgpr_count:" { sgpr = $2 }
    $1 == ".sgpr_spill_count:" { sspill = $2 }
    $1 == ".vgpr_count:" { vgpr = $2 }
    $1 == ".vgpr_spill_count:" { vspill = $2 }
    $1 == ".wavefront_size:" { print src, name, "wave=" $2, "scratch=" scratch, "vgpr_spill=" vspill, "sgpr_spill=" sspill, "vgpr=" vgpr, "sgpr=" sgpr, "lds=" lds }
  ' >>"$report"
done
total=$(wc -l <"$report")
bad=$(grep -v -c " wave=32 scratch=0 vgpr_spill=0 sgpr_spill=0 " "$report" || true)
[ "$total" -gt 0 ] || fail "no kernels found in the code objects"
if [ "$bad" -ne 0 ]; then
  grep -v " wave=32 scratch=0 vgpr_spill=0 sgpr_spill=0 " "$report" | head -20
  fail "$bad of $total kernels are not wave32 or use scratch memory / spill registers"
fi
echo "ok: $total kernels in $(echo "$objects" | wc -l) objects: all wave32, no scratch, no spills (list: $report)"
for k in gemv_kernel gemv_staged_kernel dequant_kernel; do
  grep -q "${#k}${k}I" "$report" || fail "no $k among the $arch kernels"
done
dots=$("$llvm/llvm-objdump" -d --mcpu="$arch" "$out/gemv-$arch.co" | grep -c 'v_dot4_i32_iu8' || true)
[ "$dots" -gt 0 ] || fail "gemv.cu's $arch code uses no v_dot4_i32_iu8"
echo "ok: gemv.cu: $dots v_dot4_i32_iu8; most VGPRs in a kernel: $(sed 's/.* vgpr=\([0-9]*\).*/\1/' "$report" | sort -n | tail -1)"
