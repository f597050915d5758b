// Thin portability layer: one kernel source compiles with hipcc (gfx1151, wave32) or nvcc (sm_90).
// Only the runtime API names, shuffles, the 4-way int8 dot product, funnel shift and launch bounds differ.
#pragma once

#if defined(__HIPCC__)
#include <hip/hip_runtime.h>
#include <hip/hip_fp16.h>
#define ONEBIT_GPU_HIP 1
#define gpuError_t hipError_t
#define gpuSuccess hipSuccess
#define gpuMalloc hipMalloc
#define gpuFree hipFree
#define gpuMemcpy hipMemcpy
#define gpuMemset hipMemset
#define gpuMemcpyHostToDevice hipMemcpyHostToDevice
#define gpuMemcpyDeviceToHost hipMemcpyDeviceToHost
#define gpuDeviceSynchronize hipDeviceSynchronize
#define gpuGetLastError hipGetLastError
#define gpuGetErrorString hipGetErrorString
#define gpuEvent_t hipEvent_t
#define gpuEventCreate hipEventCreate
#define gpuEventRecord hipEventRecord
#define gpuEventSynchronize hipEventSynchronize
#define gpuEventElapsedTime hipEventElapsedTime
#define gpuEventDestroy hipEventDestroy
#define gpuStream_t hipStream_t
#if defined(__AMDGCN_WAVEFRONT_SIZE) && __AMDGCN_WAVEFRONT_SIZE != 32
#error "1bit kernels need wave32 (RDNA, e.g. gfx1151); CDNA wave64 is out of scope"
#endif
#else
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#define ONEBIT_GPU_CUDA 1
#define gpuError_t cudaError_t
#define gpuSuccess cudaSuccess
#define gpuMalloc cudaMalloc
#define gpuFree cudaFree
#define gpuMemcpy cudaMemcpy
#define gpuMemset cudaMemset
#define gpuMemcpyHostToDevice cudaMemcpyHostToDevice
#define gpuMemcpyDeviceToHost cudaMemcpyDeviceToHost
#define gpuDeviceSynchronize cudaDeviceSynchronize
#define gpuGetLastError cudaGetLastError
#define gpuGetErrorString cudaGetErrorString
#define gpuEvent_t cudaEvent_t
#define gpuEventCreate cudaEventCreate
#define gpuEventRecord cudaEventRecord
#define gpuEventSynchronize cudaEventSynchronize
#define gpuEventElapsedTime cudaEventElapsedTime
#define gpuEventDestroy cudaEventDestroy
#define gpuStream_t cudaStream_t
#endif

#include <cstdint>

namespace onebit {

// The logical warp every kernel is written for. RDNA runs wave32; NVIDIA warps are 32 wide.
inline constexpr int kWarp = 32;
static_assert(kWarp == 32, "the kernels assume a 32-wide warp");

#define ONEBIT_LAUNCH_BOUNDS(threads) __launch_bounds__(threads)

template <class T>
__device__ __forceinline__ T shfl_xor(T v, int mask) {
#if defined(ONEBIT_GPU_HIP)
    return __shfl_xor(v, mask, kWarp);
#else
    return __shfl_xor_sync(0xffffffffu, v, mask, kWarp);
#endif
}

// Signed 4 x int8 dot product accumulated into c.
__device__ __forceinline__ int dot4(int a, int b, int c) {
#if defined(ONEBIT_GPU_HIP)
    return __builtin_amdgcn_sudot4(true, a, true, b, c, false);
#else
    return __dp4a(a, b, c);
#endif
}

// (hi:lo) >> shift, the low 32 bits; shift in [0, 31].
__device__ __forceinline__ uint32_t funnel_r(uint32_t lo, uint32_t hi, uint32_t shift) {
    return __funnelshift_r(lo, hi, shift);
}

// Orders shared-memory accesses among the lanes of a warp.
__device__ __forceinline__ void warp_sync() {
#if defined(ONEBIT_GPU_HIP)
    __builtin_amdgcn_fence(__ATOMIC_RELEASE, "wavefront");
    __builtin_amdgcn_wave_barrier();
    __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "wavefront");
#else
    __syncwarp();
#endif
}

// IEEE binary16 bits to float, in hardware.
__device__ __forceinline__ float half_bits_to_float(unsigned short bits) {
    return __half2float(__ushort_as_half(bits));
}

}  // namespace onebit
