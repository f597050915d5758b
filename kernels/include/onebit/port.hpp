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
#define gpuStreamCreateWithFlags hipStreamCreateWithFlags
#define gpuStreamNonBlocking hipStreamNonBlocking
#define gpuStreamSynchronize hipStreamSynchronize
#define gpuStreamDestroy hipStreamDestroy
#define gpuStreamBeginCapture hipStreamBeginCapture
#define gpuStreamCaptureModeGlobal hipStreamCaptureModeGlobal
#define gpuStreamEndCapture hipStreamEndCapture
#define gpuGraph_t hipGraph_t
#define gpuGraphExec_t hipGraphExec_t
#define gpuGraphInstantiateWithFlags hipGraphInstantiateWithFlags
#define gpuGraphLaunch hipGraphLaunch
#define gpuGraphExecDestroy hipGraphExecDestroy
#define gpuGraphDestroy hipGraphDestroy
#define gpuFuncSetAttribute hipFuncSetAttribute
#define gpuFuncAttributeMaxDynamicSharedMemorySize hipFuncAttributeMaxDynamicSharedMemorySize
#define gpuOccupancyMaxActiveBlocksPerMultiprocessor hipOccupancyMaxActiveBlocksPerMultiprocessor
#define gpuGetDevice hipGetDevice
#define gpuDeviceGetAttribute hipDeviceGetAttribute
#define gpuDevAttrMultiProcessorCount hipDeviceAttributeMultiprocessorCount
#define gpuEventQuery hipEventQuery
#define gpuErrorNotReady hipErrorNotReady
#define gpuDeviceProp hipDeviceProp_t
#define gpuGetDeviceProperties hipGetDeviceProperties
// Device passes only: clang 19 also defines __AMDGCN_WAVEFRONT_SIZE (as 64) when it compiles the host side.
#if defined(__HIP_DEVICE_COMPILE__) && defined(__AMDGCN_WAVEFRONT_SIZE) && __AMDGCN_WAVEFRONT_SIZE != 32
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
#define gpuStreamCreateWithFlags cudaStreamCreateWithFlags
#define gpuStreamNonBlocking cudaStreamNonBlocking
#define gpuStreamSynchronize cudaStreamSynchronize
#define gpuStreamDestroy cudaStreamDestroy
#define gpuStreamBeginCapture cudaStreamBeginCapture
#define gpuStreamCaptureModeGlobal cudaStreamCaptureModeGlobal
#define gpuStreamEndCapture cudaStreamEndCapture
#define gpuGraph_t cudaGraph_t
#define gpuGraphExec_t cudaGraphExec_t
#define gpuGraphInstantiateWithFlags cudaGraphInstantiateWithFlags
#define gpuGraphLaunch cudaGraphLaunch
#define gpuGraphExecDestroy cudaGraphExecDestroy
#define gpuGraphDestroy cudaGraphDestroy
#define gpuFuncSetAttribute cudaFuncSetAttribute
#define gpuFuncAttributeMaxDynamicSharedMemorySize cudaFuncAttributeMaxDynamicSharedMemorySize
#define gpuOccupancyMaxActiveBlocksPerMultiprocessor cudaOccupancyMaxActiveBlocksPerMultiprocessor
#define gpuGetDevice cudaGetDevice
#define gpuDeviceGetAttribute cudaDeviceGetAttribute
#define gpuDevAttrMultiProcessorCount cudaDevAttrMultiProcessorCount
#define gpuEventQuery cudaEventQuery
#define gpuErrorNotReady cudaErrorNotReady
#define gpuDeviceProp cudaDeviceProp
#define gpuGetDeviceProperties cudaGetDeviceProperties
#endif

#include <cstdint>
#include <stdexcept>
#include <string>

// Host side: a failed runtime call while preparing a launch becomes an exception with the runtime's message.
#define GPU_CHECK_LAUNCH(call)                                                                           \
    do {                                                                                                 \
        const gpuError_t err_ = (call);                                                                  \
        if (err_ != gpuSuccess) {                                                                        \
            throw std::runtime_error(std::string(#call) + ": " + gpuGetErrorString(err_));               \
        }                                                                                                \
    } while (0)

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

// 3 * x as a shift and an add (the integer ALU), not a multiply (the multiply-add pipe, which the dp4a also
// uses). The asm keeps the compiler from folding a chain of them back into multiplies.
__device__ __forceinline__ uint32_t times3_alu(uint32_t x) {
#if defined(ONEBIT_GPU_HIP)
    return x + (x << 1);
#else
    uint32_t y;
    asm("{ .reg .b32 t; shl.b32 t, %1, 1; add.u32 %0, t, %1; }" : "=r"(y) : "r"(x));
    return y;
#endif
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


// Stage pipeline: a block-wide copy of a contiguous global range into shared memory that completes on a
// per-stage barrier, so the weights of later tiles stream in while earlier ones are decoded, without holding
// registers. CUDA sm_90: one thread issues a bulk asynchronous copy (TMA, cp.async.bulk) that completes the
// stage's mbarrier. Elsewhere (HIP): every thread copies 16-byte words and the wait is a block barrier
// (correct, without the overlap; gfx1151 has no bulk-copy engine).
#if defined(ONEBIT_GPU_CUDA) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define ONEBIT_BULK_COPY 1
#endif

struct StageBarrier {
    uint64_t word;
};

// Called by every thread of the block once, before any stage is filled.
__device__ __forceinline__ void stage_init(StageBarrier* bars, int n) {
#if defined(ONEBIT_BULK_COPY)
    if (threadIdx.x == 0) {
        for (int i = 0; i < n; i++) {
            const uint32_t a = (uint32_t)__cvta_generic_to_shared(&bars[i].word);
            asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(a));
        }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
#else
    (void)bars;
    (void)n;
#endif
    __syncthreads();
}

// Fills a stage: `bulk` bytes (a multiple of 16; src and dst 16-byte aligned) from src to dst, then `tail`
// bytes (< 16, any alignment) from tail_src to dst + bulk. CUDA: only thread 0 acts (the others return at
// once); HIP: every thread of the block must call it.
__device__ __forceinline__ void stage_fill(StageBarrier* bar, uint8_t* dst, const uint8_t* src, uint32_t bulk,
                                           const uint8_t* tail_src, uint32_t tail) {
#if defined(ONEBIT_BULK_COPY)
    if (threadIdx.x != 0) {
        return;
    }
    for (uint32_t i = 0; i < tail; i++) {
        dst[bulk + i] = tail_src[i];  // published by the arrive below (release semantics)
    }
    const uint32_t b = (uint32_t)__cvta_generic_to_shared(&bar->word);
    // Earlier generic-proxy reads of this buffer come before the asynchronous proxy's writes.
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(b), "r"(bulk) : "memory");
    if (bulk > 0) {
        const uint32_t d = (uint32_t)__cvta_generic_to_shared(dst);
        asm volatile(
            "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(d),
            "l"(src), "r"(bulk), "r"(b)
            : "memory");
    }
#else
    (void)bar;
    const int4* s4 = reinterpret_cast<const int4*>(src);
    int4* d4 = reinterpret_cast<int4*>(dst);
    for (uint32_t i = threadIdx.x; i < bulk / 16; i += blockDim.x) {
        d4[i] = s4[i];
    }
    if (threadIdx.x == 0) {
        for (uint32_t i = 0; i < tail; i++) {
            dst[bulk + i] = tail_src[i];
        }
    }
#endif
}

// Programmatic dependent launch (sm_90): a kernel launched with launch_dependent may start while the kernel
// before it in the stream finishes. grid_dependents_may_launch lets the next such kernel be scheduled;
// grid_dependency_wait blocks until the kernel before has completed and its writes are visible, so everything
// before it may read only what that kernel does not write (the weights). No-ops elsewhere.
__device__ __forceinline__ void grid_dependents_may_launch() {
#if defined(ONEBIT_BULK_COPY)
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}
__device__ __forceinline__ void grid_dependency_wait() {
#if defined(ONEBIT_BULK_COPY)
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

// Fetches the line holding p into L2 (a hint; nothing on HIP).
__device__ __forceinline__ void prefetch_l2(const void* p) {
#if defined(ONEBIT_BULK_COPY)
    asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
#else
    (void)p;
#endif
}

// Waits until the stage's current fill has landed; `phase` is 0 for its first fill, then flips with each reuse.
// Every thread of the block calls it.
__device__ __forceinline__ void stage_wait(StageBarrier* bar, uint32_t phase) {
#if defined(ONEBIT_BULK_COPY)
    const uint32_t b = (uint32_t)__cvta_generic_to_shared(&bar->word);
    const uint32_t parity = phase & 1u;
    uint32_t done = 0;
    while (!done) {
        asm volatile(
            "{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2; selp.u32 %0, 1, 0, p; }"
            : "=r"(done)
            : "r"(b), "r"(parity)
            : "memory");
    }
#else
    (void)bar;
    (void)phase;
    __syncthreads();
#endif
}

#if defined(__CUDACC__) || defined(__HIPCC__)
// Launches `kernel` on `stream` as a programmatic dependent launch where the platform has one (CUDA):
// it may start while the kernel before it finishes, so it must call grid_dependency_wait before reading anything
// that kernel writes, and before writing anything that kernel reads. Elsewhere an ordinary launch.
template <class... Params, class... Args>
void launch_dependent(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem, gpuStream_t stream,
                      Args... args) {
#if defined(ONEBIT_GPU_CUDA) && !defined(ONEBIT_NO_PDL)
    cudaLaunchAttribute attr[1] = {};
    attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr[0].val.programmaticStreamSerializationAllowed = 1;
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = grid;
    cfg.blockDim = block;
    cfg.dynamicSmemBytes = smem;
    cfg.stream = stream;
    cfg.attrs = attr;
    cfg.numAttrs = 1;
    GPU_CHECK_LAUNCH(cudaLaunchKernelEx(&cfg, kernel, static_cast<Params>(args)...));
#else
    kernel<<<grid, block, smem, stream>>>(static_cast<Params>(args)...);
#endif
}
#endif

}  // namespace onebit
