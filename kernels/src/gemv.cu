// GEMV and small-batch GEMM (2-8 vectors, weights read once) over llama.cpp TQ2_0 / TQ1_0 / Q1_0 rows.
// One warp per row. The warp copies a chunk of its row into shared memory with 16-byte loads (many bytes in
// flight per warp), then each lane takes a contiguous window of a block (see decode.hpp). Integer dot products per lane and block are scaled and accumulated in double (exact
// per block, so the result matches a double reference to float rounding), then one warp reduction per row.
#include <stdexcept>
#include <string>

#include "decode.hpp"
#include "onebit/kernels.hpp"

namespace onebit {
namespace {

constexpr int kWarpsPerBlock = 8;
constexpr int kThreads = kWarpsPerBlock * kWarp;

// Copies bytes [begin, end) of the weights (total bytes in all) to dst with 16-byte loads; dst keeps the
// source's offset within 16 bytes, which the return value points past. Vectors that would cross the end of the
// weights are read byte by byte.
__device__ __forceinline__ const uint8_t* stage(const uint8_t* w, size_t total, size_t begin, size_t end,
                                                uint4* dst, int lane) {
    const size_t first = begin & ~size_t(15);
    const size_t vectors = (end - first + 15) / 16;
    for (size_t v = lane; v < vectors; v += kWarp) {
        const size_t at = first + v * 16;
        if (at + 16 <= total) {
            dst[v] = __ldg(reinterpret_cast<const uint4*>(w + at));
        } else {
            uint8_t* d = reinterpret_cast<uint8_t*>(dst + v);
            for (int k = 0; k < 16; k++) {
                d[k] = at + k < total ? w[at + k] : 0;
            }
        }
    }
    warp_sync();
    return reinterpret_cast<const uint8_t*>(dst) + (begin - first);
}

template <class F, int B>
__global__ void ONEBIT_LAUNCH_BOUNDS(kThreads)
gemv_kernel(const uint8_t* __restrict__ w, const ActBlock* __restrict__ act, float* __restrict__ y, long M, long K) {
    constexpr int kStageVectors = (F::CHUNK * F::BYTES + 15) / 16 + 1;
    __shared__ uint4 staged[kWarpsPerBlock][kStageVectors];
    const int lane = threadIdx.x % kWarp;
    const int warp = threadIdx.x / kWarp;
    const long row = (long)blockIdx.x * kWarpsPerBlock + warp;
    if (row >= M) {
        return;
    }
    constexpr int kBlocksPerIter = kWarp / F::LANES;
    const int nb = (int)(K / F::QK);
    const long act_blocks = K / QK_K;
    const int sub = lane % F::LANES;
    const size_t row_bytes = (size_t)nb * F::BYTES;
    const size_t total = (size_t)M * row_bytes;
    double acc[B];
#pragma unroll
    for (int j = 0; j < B; j++) {
        acc[j] = 0.0;
    }
    for (int b0 = 0; b0 < nb; b0 += F::CHUNK) {
        const int count = min(F::CHUNK, nb - b0);
        const size_t begin = row * row_bytes + (size_t)b0 * F::BYTES;
        const uint8_t* chunk = stage(w, total, begin, begin + (size_t)count * F::BYTES, staged[warp], lane);
        for (int bl = lane / F::LANES; bl < count; bl += kBlocksPerIter) {
            const uint8_t* blk = chunk + bl * F::BYTES;
            const int b = b0 + bl;
            uint32_t packed[4];
            F::load(blk, sub, packed);
            const double dw = (double)dev::load_half(blk + F::D_OFFSET);
            const int ab = (b * F::QK) / QK_K;
            const int within = (b * F::QK) % QK_K;
#pragma unroll
            for (int j = 0; j < B; j++) {
                const ActBlock& a = act[j * act_blocks + ab];
                typename F::Act x;
                F::load_act(a, within, sub, x);
                acc[j] = fma(dw * (double)__ldg(&a.d), (double)F::dot(packed, x), acc[j]);
            }
        }
        warp_sync();  // the next chunk overwrites the stage
    }
#pragma unroll
    for (int j = 0; j < B; j++) {
        double v = acc[j];
#pragma unroll
        for (int o = kWarp / 2; o > 0; o /= 2) {
            v += shfl_xor(v, o);
        }
        if (lane == 0) {
            y[j * M + row] = (float)v;
        }
    }
}

template <class F, int B>
void launch_one(const uint8_t* w, const ActBlock* act, float* y, long M, long K) {
    const dim3 grid((unsigned)((M + kWarpsPerBlock - 1) / kWarpsPerBlock));
    gemv_kernel<F, B><<<grid, kThreads>>>(w, act, y, M, K);
}

template <class F>
void launch(const uint8_t* w, const ActBlock* act, float* y, long M, long K, int n) {
    switch (n) {
        case 1: launch_one<F, 1>(w, act, y, M, K); break;
        case 2: launch_one<F, 2>(w, act, y, M, K); break;
        case 3: launch_one<F, 3>(w, act, y, M, K); break;
        case 4: launch_one<F, 4>(w, act, y, M, K); break;
        case 5: launch_one<F, 5>(w, act, y, M, K); break;
        case 6: launch_one<F, 6>(w, act, y, M, K); break;
        case 7: launch_one<F, 7>(w, act, y, M, K); break;
        case 8: launch_one<F, 8>(w, act, y, M, K); break;
    }
}

}  // namespace

void gpu::gemv(Format f, const uint8_t* w, const ActBlock* act, float* y, long M, long K, int n_vectors) {
    if (K <= 0 || K % QK_K != 0) {
        throw std::invalid_argument("gemv: K = " + std::to_string(K) + " is not a positive multiple of 256");
    }
    if (n_vectors < 1 || n_vectors > 8) {
        throw std::invalid_argument("gemv: batch of " + std::to_string(n_vectors) + " vectors; use 1..8");
    }
    if (M <= 0) {
        throw std::invalid_argument("gemv: M must be positive");
    }
    if (reinterpret_cast<uintptr_t>(w) % 16 != 0) {
        throw std::invalid_argument("gemv: weights must be 16-byte aligned (as gpuMalloc returns them)");
    }
    switch (f) {
        case Format::TQ2_0: launch<dev::TQ2_0>(w, act, y, M, K, n_vectors); break;
        case Format::TQ1_0: launch<dev::TQ1_0>(w, act, y, M, K, n_vectors); break;
        case Format::Q1_0: launch<dev::Q1_0>(w, act, y, M, K, n_vectors); break;
    }
}

}  // namespace onebit
