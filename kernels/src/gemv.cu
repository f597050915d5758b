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

constexpr int kWarpsPerBlock = 8;
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
                    acc[r][j] = fma(dw[r] * da, (double)F::dot(packed[r], x), acc[r][j]);
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

#if ONEBIT_ASYNC_COPY
// One vector on CUDA: every warp walks its items (row group, block iteration) and copies the next item's weight
// windows into shared memory with cp.async while it computes the current one, so loads stay in flight without
// costing registers, across row boundaries too. Only as many warps as fit on the GPU are launched.
template <class F, int R>
__global__ void ONEBIT_LAUNCH_BOUNDS(kThreads)
gemv_async_kernel(const uint8_t* __restrict__ w, const ActBlock* __restrict__ act, float* __restrict__ y, long M,
                  long K) {
    constexpr int kWords = 6;  // 5 aligned words of the window (4 after the funnel shift) and the word with d
    __shared__ uint32_t stage[2][kWarpsPerBlock][R][kWords][kWarp];
    const int lane = threadIdx.x % kWarp;
    const int warp = threadIdx.x / kWarp;
    const long total_warps = (long)gridDim.x * kWarpsPerBlock;
    const long groups = (M + R - 1) / R;
    long g = (long)blockIdx.x * kWarpsPerBlock + warp;
    if (g >= groups) {
        return;
    }
    constexpr int kBlocksPerIter = kWarp / F::LANES;
    const int nb = (int)(K / F::QK);
    const int iters = (nb + kBlocksPerIter - 1) / kBlocksPerIter;
    const int first = lane / F::LANES;
    const int sub = lane % F::LANES;
    const size_t row_bytes = (size_t)nb * F::BYTES;
    const int window = F::window_offset(sub);

    auto issue = [&](long group, int it, int buf) {
        const int b = first + it * kBlocksPerIter;
#pragma unroll
        for (int r = 0; r < R; r++) {
            const long row = group * R + r;
            if (b < nb && row < M) {
                const uint8_t* blk = w + row * row_bytes + (size_t)b * F::BYTES;
                const uint32_t* base = reinterpret_cast<const uint32_t*>(reinterpret_cast<uintptr_t>(blk + window) & ~uintptr_t(3));
#pragma unroll
                for (int k = 0; k < 5; k++) {
                    async_copy4(&stage[buf][warp][r][k][lane], base + k);
                }
                async_copy4(&stage[buf][warp][r][5][lane],
                            reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(blk + F::D_OFFSET) & ~uintptr_t(3)));
            }
        }
        async_commit();
    };

    issue(g, 0, 0);
    int it = 0, buf = 0;
    double acc[R];
#pragma unroll
    for (int r = 0; r < R; r++) {
        acc[r] = 0.0;
    }
    while (true) {
        long next_g = g;
        int next_it = it + 1;
        if (next_it == iters) {
            next_it = 0;
            next_g = g + total_warps;
        }
        const bool more = next_g < groups;
        if (more) {
            issue(next_g, next_it, buf ^ 1);
        } else {
            async_commit();  // an empty group keeps the wait below uniform
        }
        async_wait_all_but_one();
        const int b = first + it * kBlocksPerIter;
        if (b < nb) {
            const ActBlock& a = act[(b * F::QK) / QK_K];
            typename F::Act x;
            F::load_act(a, (b * F::QK) % QK_K, sub, x);
            const double da = (double)__ldg(&a.d);
#pragma unroll
            for (int r = 0; r < R; r++) {
                const long row = g * R + r;
                if (row < M) {
                    const uintptr_t blk = reinterpret_cast<uintptr_t>(w + row * row_bytes + (size_t)b * F::BYTES);
                    const uint32_t shift = (uint32_t)((blk + window) & 3) * 8;
                    uint32_t packed[4];
#pragma unroll
                    for (int k = 0; k < 4; k++) {
                        packed[k] = funnel_r(stage[buf][warp][r][k][lane], stage[buf][warp][r][k + 1][lane], shift);
                    }
                    const uint32_t dword = stage[buf][warp][r][5][lane] >> (((blk + F::D_OFFSET) & 3) * 8);
                    const double dw = (double)half_bits_to_float((unsigned short)(dword & 0xffffu));
                    acc[r] = fma(dw * da, (double)F::dot(packed, x), acc[r]);
                }
            }
        }
        if (next_it == 0) {  // the group is done
#pragma unroll
            for (int r = 0; r < R; r++) {
                double v = acc[r];
#pragma unroll
                for (int o = kWarp / 2; o > 0; o /= 2) {
                    v += shfl_xor(v, o);
                }
                if (lane == 0 && g * R + r < M) {
                    y[g * R + r] = (float)v;
                }
                acc[r] = 0.0;
            }
        }
        if (!more) {
            break;
        }
        g = next_g;
        it = next_it;
        buf ^= 1;
    }
}

template <class Kernel>
long resident_warps(Kernel kernel) {
    int device = 0, sms = 0, blocks = 0;
    cudaGetDevice(&device);
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
    cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, kThreads, 0);
    return (long)sms * (blocks > 0 ? blocks : 1) * kWarpsPerBlock;
}

template <class F, int R>
void launch_async(const uint8_t* w, const ActBlock* act, float* y, long M, long K) {
    static const long resident = resident_warps(gemv_async_kernel<F, R>);
    const long groups = (M + R - 1) / R;
    const long warps = groups < resident ? groups : resident;
    gemv_async_kernel<F, R><<<(unsigned)((warps + kWarpsPerBlock - 1) / kWarpsPerBlock), kThreads>>>(w, act, y, M, K);
}
#endif

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
#if defined(ONEBIT_GPU_CUDA)
            if (rows_per_warp == 1) {
                launch_async<F, 1>(w, act, y, M, K);
            } else if (rows_per_warp == 2) {
                launch_async<F, 2>(w, act, y, M, K);
            } else {
                launch_async<F, 4>(w, act, y, M, K);
            }
#else
            if (rows_per_warp == 1) {
                launch_one<F, 1, 1>(w, act, y, M, K);
            } else if (rows_per_warp == 2) {
                launch_one<F, 1, 2>(w, act, y, M, K);
            } else {
                launch_one<F, 1, 4>(w, act, y, M, K);
            }
#endif
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
