// GEMV and small-batch GEMM (2-8 vectors, weights read once) over llama.cpp TQ2_0 / TQ1_0 / Q1_0 rows.
// One warp per 1, 2 or 4 rows; each lane takes a contiguous window of a block (see decode.hpp), so a warp
// iteration reads a contiguous run of blocks, and activations loaded once serve all the warp's rows. Integer dot products per lane and block are scaled and accumulated in double (exact
// per block, so the result matches a double reference to float rounding), then one warp reduction per row.
#include <stdexcept>
#include <string>

#include "decode.hpp"
#include "onebit/kernels.hpp"

namespace onebit {
namespace {

#ifndef ONEBIT_WARPS_PER_BLOCK
#define ONEBIT_WARPS_PER_BLOCK 2  // measured: 1, 2 and 4 alike, 8 and 16 slower (H100)
#endif
constexpr int kWarpsPerBlock = ONEBIT_WARPS_PER_BLOCK;
constexpr int kThreads = kWarpsPerBlock * kWarp;
// Rows per warp for one vector (activation registers are reused across a warp's rows).
constexpr int kRowsTQ2_0 = 2, kRowsTQ1_0 = 2, kRowsQ1_0 = 2;

#ifndef ONEBIT_MIN_BLOCKS
#define ONEBIT_MIN_BLOCKS 1
#endif
template <class F, int B, int R>
__global__ void __launch_bounds__(kThreads, ONEBIT_MIN_BLOCKS)
gemv_kernel(const uint8_t* __restrict__ w, const ActBlock* __restrict__ act, float* __restrict__ y, long M, long K) {
    const int lane = threadIdx.x % kWarp;
    const long row0 = ((long)blockIdx.x * kWarpsPerBlock + threadIdx.x / kWarp) * R;
    if (row0 >= M) {
        return;
    }
    constexpr int kBlocksPerIter = kWarp / F::LANES;
    const int nb = (int)(K / F::QK);
    const long act_blocks = K / QK_K;
    const int sub = lane % F::LANES;
    const size_t row_bytes = (size_t)nb * F::BYTES;
    const uint8_t* rowp = w + row0 * row_bytes;
    const int rows = (int)min((long)R, M - row0);
    double acc[R][B];
#pragma unroll
    for (int r = 0; r < R; r++) {
#pragma unroll
        for (int j = 0; j < B; j++) {
            acc[r][j] = 0.0;
        }
    }
    for (int b = lane / F::LANES; b < nb; b += kBlocksPerIter) {
        const int ab = (b * F::QK) / QK_K;
        const int within = (b * F::QK) % QK_K;
        uint32_t packed[R][4];
        double dw[R];
#pragma unroll
        for (int r = 0; r < R; r++) {
            const uint8_t* blk = rowp + r * row_bytes + (size_t)b * F::BYTES;
            if (r < rows) {
                F::load(blk, sub, packed[r]);
                dw[r] = (double)dev::load_half(blk + F::D_OFFSET);
            }
        }
#pragma unroll
        for (int j = 0; j < B; j++) {
            const ActBlock& a = act[j * act_blocks + ab];
            typename F::Act x;
            F::load_act(a, within, sub, x);
            const double da = (double)__ldg(&a.d);
#pragma unroll
            for (int r = 0; r < R; r++) {
                if (r < rows) {
#ifdef ONEBIT_MEMORY_ONLY
                    // Bench-only build: the same loads, folded instead of decoded (tells memory from ALU limits).
                    int fold = packed[r][0] ^ packed[r][1] ^ packed[r][2] ^ packed[r][3];
                    const int* xi = reinterpret_cast<const int*>(&x);
#pragma unroll
                    for (int k = 0; k < (int)(sizeof(x) / 4); k++) {
                        fold ^= xi[k];
                    }
                    acc[r][j] = fma(dw[r] * da, (double)fold, acc[r][j]);
#else
                    acc[r][j] = fma(dw[r] * da, (double)F::dot(packed[r], x), acc[r][j]);
#endif
                }
            }
        }
    }
#pragma unroll
    for (int r = 0; r < R; r++) {
#pragma unroll
        for (int j = 0; j < B; j++) {
            double v = acc[r][j];
#pragma unroll
            for (int o = kWarp / 2; o > 0; o /= 2) {
                v += shfl_xor(v, o);
            }
            if (lane == 0 && r < rows) {
                y[j * M + row0 + r] = (float)v;
            }
        }
    }
}

template <class F, int B, int R>
void launch_one(const uint8_t* w, const ActBlock* act, float* y, long M, long K) {
    const long warps = (M + R - 1) / R;
    const dim3 grid((unsigned)((warps + kWarpsPerBlock - 1) / kWarpsPerBlock));
    gemv_kernel<F, B, R><<<grid, kThreads>>>(w, act, y, M, K);
}

template <class F>
void launch(const uint8_t* w, const ActBlock* act, float* y, long M, long K, int n, int rows_per_warp) {
    switch (n) {
        case 1:
            if (rows_per_warp == 1) {
                launch_one<F, 1, 1>(w, act, y, M, K);
            } else if (rows_per_warp == 2) {
                launch_one<F, 1, 2>(w, act, y, M, K);
            } else {
                launch_one<F, 1, 4>(w, act, y, M, K);
            }
            break;
        case 2: launch_one<F, 2, 1>(w, act, y, M, K); break;
        case 3: launch_one<F, 3, 1>(w, act, y, M, K); break;
        case 4: launch_one<F, 4, 1>(w, act, y, M, K); break;
        case 5: launch_one<F, 5, 1>(w, act, y, M, K); break;
        case 6: launch_one<F, 6, 1>(w, act, y, M, K); break;
        case 7: launch_one<F, 7, 1>(w, act, y, M, K); break;
        case 8: launch_one<F, 8, 1>(w, act, y, M, K); break;
    }
}

}  // namespace

void gpu::gemv(Format f, const uint8_t* w, const ActBlock* act, float* y, long M, long K, int n_vectors) {
    gemv_rows(f, w, act, y, M, K, n_vectors, default_rows_per_warp(f));
}

int gpu::default_rows_per_warp(Format f) {
    // Chosen from bench_gemv's comparison of 1, 2 and 4 rows per warp on an H100 (kernels/README.md).
    switch (f) {
        case Format::TQ2_0: return kRowsTQ2_0;
        case Format::TQ1_0: return kRowsTQ1_0;
        case Format::Q1_0: return kRowsQ1_0;
    }
    return 1;
}

void gpu::gemv_rows(Format f, const uint8_t* w, const ActBlock* act, float* y, long M, long K, int n_vectors,
                    int rows_per_warp) {
    if (rows_per_warp != 1 && rows_per_warp != 2 && rows_per_warp != 4) {
        throw std::invalid_argument("gemv: rows per warp must be 1, 2 or 4");
    }
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
        case Format::TQ2_0: launch<dev::TQ2_0>(w, act, y, M, K, n_vectors, rows_per_warp); break;
        case Format::TQ1_0: launch<dev::TQ1_0>(w, act, y, M, K, n_vectors, rows_per_warp); break;
        case Format::Q1_0: launch<dev::Q1_0>(w, act, y, M, K, n_vectors, rows_per_warp); break;
    }
}

}  // namespace onebit
