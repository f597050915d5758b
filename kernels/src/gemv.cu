// GEMV and small-batch GEMM (2-8 vectors, weights read once) over llama.cpp TQ2_0 / TQ1_0 / Q1_0 rows.
// One warp per row; each lane takes a contiguous window of a block (see decode.hpp), so a warp iteration reads a
// contiguous run of blocks. Integer dot products per lane and block are scaled and accumulated in double (exact
// per block, so the result matches a double reference to float rounding), then one warp reduction per row.
#include <stdexcept>
#include <string>

#include "decode.hpp"
#include "onebit/kernels.hpp"

namespace onebit {
namespace {

constexpr int kRowsPerBlock = 8;
constexpr int kThreads = kRowsPerBlock * kWarp;

template <class F, int B>
__global__ void ONEBIT_LAUNCH_BOUNDS(kThreads)
gemv_kernel(const uint8_t* __restrict__ w, const ActBlock* __restrict__ act, float* __restrict__ y, long M, long K) {
    const int lane = threadIdx.x % kWarp;
    const long row = (long)blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
    if (row >= M) {
        return;
    }
    constexpr int kBlocksPerIter = kWarp / F::LANES;
    const int nb = (int)(K / F::QK);
    const long act_blocks = K / QK_K;
    const int sub = lane % F::LANES;
    const uint8_t* rowp = w + (size_t)row * nb * F::BYTES;
    double acc[B];
#pragma unroll
    for (int j = 0; j < B; j++) {
        acc[j] = 0.0;
    }
#pragma unroll 2
    for (int b = lane / F::LANES; b < nb; b += kBlocksPerIter) {
        const uint8_t* blk = rowp + (size_t)b * F::BYTES;
        uint32_t packed[4];
        F::load(blk, sub, packed);
        const double dw = (double)dev::load_half(blk + F::D_OFFSET);
        const int ab = (b * F::QK) / QK_K;
        const int within = (b * F::QK) % QK_K;
#pragma unroll
        for (int j = 0; j < B; j++) {
            const ActBlock& a = act[j * act_blocks + ab];
            const int isum = F::dot(packed, a, within, sub);
            acc[j] = fma(dw * (double)__ldg(&a.d), (double)isum, acc[j]);
        }
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

template <class F>
void launch(const uint8_t* w, const ActBlock* act, float* y, long M, long K, int n) {
    const dim3 grid((unsigned)((M + kRowsPerBlock - 1) / kRowsPerBlock));
    switch (n) {
        case 1: gemv_kernel<F, 1><<<grid, kThreads>>>(w, act, y, M, K); break;
        case 2: gemv_kernel<F, 2><<<grid, kThreads>>>(w, act, y, M, K); break;
        case 3: gemv_kernel<F, 3><<<grid, kThreads>>>(w, act, y, M, K); break;
        case 4: gemv_kernel<F, 4><<<grid, kThreads>>>(w, act, y, M, K); break;
        case 5: gemv_kernel<F, 5><<<grid, kThreads>>>(w, act, y, M, K); break;
        case 6: gemv_kernel<F, 6><<<grid, kThreads>>>(w, act, y, M, K); break;
        case 7: gemv_kernel<F, 7><<<grid, kThreads>>>(w, act, y, M, K); break;
        case 8: gemv_kernel<F, 8><<<grid, kThreads>>>(w, act, y, M, K); break;
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
    switch (f) {
        case Format::TQ2_0: launch<dev::TQ2_0>(w, act, y, M, K, n_vectors); break;
        case Format::TQ1_0: launch<dev::TQ1_0>(w, act, y, M, K, n_vectors); break;
        case Format::Q1_0: launch<dev::Q1_0>(w, act, y, M, K, n_vectors); break;
    }
}

}  // namespace onebit
