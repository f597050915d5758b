// GEMV and small-batch GEMM (2-8 vectors, weights read once) over llama.cpp TQ2_0 / TQ1_0 / Q1_0 rows.
// One warp per 1, 2 or 4 rows; each lane takes a contiguous window of a block (see decode.hpp), so a warp
// iteration reads a contiguous run of blocks, and activations loaded once serve all the warp's rows. Integer dot products per lane and block are scaled and accumulated in double (exact
// per block, so the result matches a double reference to float rounding), then one warp reduction per row.
#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <stdexcept>
#include <string>

#include "decode.hpp"
#include "onebit/kernels.hpp"
#include "onebit/reference.hpp"

namespace onebit {
namespace {

#ifndef ONEBIT_WARPS_PER_BLOCK
#define ONEBIT_WARPS_PER_BLOCK 2  // measured: 1, 2 and 4 alike, 8 and 16 slower (H100)
#endif
constexpr int kWarpsPerBlock = ONEBIT_WARPS_PER_BLOCK;
constexpr int kThreads = kWarpsPerBlock * kWarp;
// Rows per warp for one vector (activation registers are reused across a warp's rows).
constexpr int kRowsTQ2_0 = 2, kRowsTQ1_0 = 2, kRowsQ1_0 = 2;

#ifndef ONEBIT_STAGE_BYTES
#define ONEBIT_STAGE_BYTES (40 * 1024)  // shared memory per block for stages in flight
#endif
#ifndef ONEBIT_TILE_BYTES
#define ONEBIT_TILE_BYTES (36 * 1024)  // largest tile that gets more than one row per warp
#endif
#ifndef ONEBIT_STAGED_RW
#define ONEBIT_STAGED_RW 8
#endif

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
    // Launched as a dependent (launch_one): the first weights head for L2 while the kernel before this one
    // finishes; activations and y wait for it.
    grid_dependents_may_launch();
    for (int r = 0; r < rows; r++) {
        prefetch_l2(rowp + r * row_bytes + (size_t)(lane / F::LANES) * F::BYTES);
    }
    grid_dependency_wait();
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


// One halving step of reduce_rows and the steps after it, over a compile-time row count N (a runtime one left
// nvcc's loop at 16 rows only partly unrolled, so the rows went to local memory). This lane keeps the upper
// half of its N rows if `lane & o`, else the lower, and sends the other half to lane ^ o.
template <int N, int RW>
__device__ __forceinline__ void halve_rows(double (&cur)[RW], int lane, int o) {
    if constexpr (N > 1) {
        const bool hi = lane & o;
#pragma unroll
        for (int i = 0; i < N / 2; i++) {
            // Values first, then the selects: `hi ? cur[a] : cur[b]` would be an lvalue, a select of addresses.
            const double lower = cur[i], upper = cur[i + N / 2];
            const double keep = hi ? upper : lower, send = hi ? lower : upper;
            cur[i] = keep + shfl_xor(send, o);
        }
        halve_rows<N / 2>(cur, lane, o / 2);
    }
}

// Sums each of a warp's RW per-lane values (RW = 1, 2, 4, 8 or 16) over the warp with fewer shuffles than RW separate
// reductions: the first steps halve the rows each lane holds (it keeps one half, sends the other), the rest
// sum one value. Lane l ends with row r's total where r = l / (32 / RW), valid in lanes l % (32 / RW) == 0.
template <int RW>
__device__ __forceinline__ double reduce_rows(const double (&v)[RW], int lane, int& r) {
    double cur[RW];
#pragma unroll
    for (int i = 0; i < RW; i++) {
        cur[i] = v[i];
    }
    halve_rows<RW>(cur, lane, kWarp / 2);
    double k = cur[0];
#pragma unroll
    for (int o = kWarp / 2 / RW; o > 0; o /= 2) {
        k += shfl_xor(k, o);
    }
    r = lane / (kWarp / RW);
    return k;
}

// Staged GEMV (one vector): persistent blocks walk tiles of consecutive rows. A tile's rows are one contiguous
// byte range, copied into a shared-memory stage (stage_fill: bulk asynchronous copy on sm_90), with `stages`
// tiles in flight per block, so the bytes in flight do not depend on registers or occupancy. kSplit = 1: each
// warp decodes RW rows of a tile of 4 * RW rows; one activation load serves all of them. kSplit = 4 (long rows):
// the tile is RW rows and each warp takes every fourth warp iteration of all of them, so a warp needs only a
// quarter of the activations (few enough to keep in registers); the four partial sums of a row meet in shared
// memory.
#ifndef ONEBIT_STAGED_WARPS
#define ONEBIT_STAGED_WARPS 4
#endif
constexpr int kStagedWarps = ONEBIT_STAGED_WARPS;
constexpr int kStagedThreads = kStagedWarps * kWarp;
constexpr int kMaxStages = 8;

// kActIters > 0: a row takes at most kActIters warp iterations, and each lane keeps the activations of all of
// them in registers for the whole kernel instead of reloading them for every tile.
#ifndef ONEBIT_STAGED_MIN_BLOCKS
#define ONEBIT_STAGED_MIN_BLOCKS 1
#endif
#ifndef ONEBIT_SPLIT_MIN_BLOCKS
#define ONEBIT_SPLIT_MIN_BLOCKS ONEBIT_STAGED_MIN_BLOCKS
#endif
template <class F, int RW, int kActIters, int kSplit>
__global__ void __launch_bounds__(kStagedThreads, kSplit > 1 ? ONEBIT_SPLIT_MIN_BLOCKS : ONEBIT_STAGED_MIN_BLOCKS)
gemv_staged_kernel(const uint8_t* __restrict__ w, const ActBlock* __restrict__ act, float* __restrict__ y, long M,
                   long K, int stages, uint32_t stage_bytes) {
    extern __shared__ __align__(128) uint8_t stage_mem[];
    __shared__ StageBarrier full[kMaxStages];
    static_assert(kSplit == 1 || kSplit == kStagedWarps, "a row is split over one warp or all of them");
    constexpr int kTileRows = kStagedWarps / kSplit * RW;
    constexpr int kBlocksPerIter = kWarp / F::LANES;
    const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, sub = lane % F::LANES;
    // The warp's rows within the tile (kSplit = 1) or its share of every row's blocks (kSplit = 4).
    const int row_warp = warp / kSplit, k_warp = warp % kSplit;
    // kSplit = 4: each row's four partial sums, double-buffered by tile so that the next tile's writes cannot
    // meet this tile's reads (a block barrier separates consecutive tiles).
    __shared__ double partial[kSplit > 1 ? 2 : 1][kSplit][RW];
    const int nb = (int)(K / F::QK);
    const size_t rb = (size_t)nb * F::BYTES;
    const long tiles = (M + kTileRows - 1) / kTileRows;
    const size_t total = (size_t)M * rb, total16 = total & ~(size_t)15;

    // Tile t's bytes [start, end): the 16-byte-aligned part by bulk copy, the last < 16 bytes of the matrix
    // (when its size is not a multiple of 16) copied plainly.
    auto fill = [&](long t, int s) {
        const size_t start = (size_t)t * kTileRows * rb;
        const size_t end = (size_t)min(M, (t + 1) * kTileRows) * rb;
        const size_t a0 = start & ~(size_t)15;
        const size_t a1 = min((end + 15) & ~(size_t)15, total16);
        const size_t bulk = a1 > a0 ? a1 - a0 : 0;
        stage_fill(&full[s], stage_mem + (size_t)s * stage_bytes, w + a0, (uint32_t)bulk, w + a0 + bulk,
                   (uint32_t)(end - (a0 + bulk)));
    };

    stage_init(full, stages);
    for (int s = 0; s < stages; s++) {
        const long t = blockIdx.x + (long)s * gridDim.x;
        if (t < tiles) {
            fill(t, s);
        }
    }
    // The first tiles' weights are on their way; the activations (and y) may come from the kernel before this
    // one, which this launch may overlap (see launch_staged).
    grid_dependents_may_launch();
    grid_dependency_wait();
    // One tile's rows for this warp; kFull: all RW rows exist (no per-row checks).
    // One warp iteration of one tile's rows: b is the lane's block, x and da its activations.
    auto iteration = [&]<bool kFull>(const uint8_t* stage, uint32_t off, int rows, int b, const typename F::Act& x,
                                     double da, double (&acc)[RW]) {
#pragma unroll
        for (int r = 0; r < RW; r++) {
            if (kFull || r < rows) {
                const uint32_t blk = off + r * (uint32_t)rb + (uint32_t)(b * F::BYTES);
                uint32_t packed[4];
                F::load_at(stage, blk, sub, packed);
                const double dw = (double)dev::load_half(stage + blk + F::D_OFFSET);
#ifdef ONEBIT_MEMORY_ONLY
                int fold = packed[0] ^ packed[1] ^ packed[2] ^ packed[3];
                const int* xi = reinterpret_cast<const int*>(&x);
#pragma unroll
                for (int q = 0; q < (int)(sizeof(x) / 4); q++) {
                    fold ^= xi[q];
                }
                acc[r] = fma(dw * da, (double)fold, acc[r]);
#else
                acc[r] = fma(dw * da, (double)F::dot(packed, x), acc[r]);
#endif
            }
        }
    };
    const int b0 = lane / F::LANES + k_warp * kBlocksPerIter;
    constexpr int kStride = kSplit * kBlocksPerIter;  // blocks between a lane's consecutive warp iterations
    typename F::Act resident[kActIters > 0 ? kActIters : 1];
    double resident_d[kActIters > 0 ? kActIters : 1];
    if constexpr (kActIters > 0) {
#pragma unroll
        for (int i = 0; i < kActIters; i++) {
            const int b = min(b0 + i * kStride, nb - 1);  // lanes past the row's end load a valid block
            const ActBlock& a = act[(b * F::QK) / QK_K];
            F::load_act(a, (b * F::QK) % QK_K, sub, resident[i]);
            resident_d[i] = (double)__ldg(&a.d);
        }
    }
    auto rows_dot = [&]<bool kFull>(const uint8_t* stage, uint32_t off, int rows, double (&acc)[RW]) {
        if constexpr (kActIters > 0) {
#pragma unroll
            for (int i = 0; i < kActIters; i++) {
                const int b = b0 + i * kStride;
                if (b < nb) {
                    iteration.template operator()<kFull>(stage, off, rows, b, resident[i], resident_d[i], acc);
                }
            }
        } else {
            for (int b = b0; b < nb; b += kStride) {
                const ActBlock& a = act[(b * F::QK) / QK_K];
                typename F::Act x;
                F::load_act(a, (b * F::QK) % QK_K, sub, x);
                iteration.template operator()<kFull>(stage, off, rows, b, x, (double)__ldg(&a.d), acc);
            }
        }
    };
    int s = 0, buf = 0;
    uint32_t phase = 0;
    for (long t = blockIdx.x; t < tiles; t += gridDim.x, buf ^= 1) {
        stage_wait(&full[s], phase);
        const long row0 = t * kTileRows + (long)row_warp * RW;
        const int rows = (int)max(0L, min((long)RW, M - row0));
        const uint8_t* stage = stage_mem + s * stage_bytes;
        const uint32_t off = (uint32_t)((t * kTileRows * rb) & 15) + (uint32_t)(row_warp * RW * rb);
        double acc[RW];
#pragma unroll
        for (int r = 0; r < RW; r++) {
            acc[r] = 0.0;
        }
        if (rows == RW) {
            rows_dot.template operator()<true>(stage, off, rows, acc);
        } else if (rows > 0) {
            rows_dot.template operator()<false>(stage, off, rows, acc);
        }
        int r;
        const double v = reduce_rows<RW>(acc, lane, r);
        if constexpr (kSplit == 1) {
            if (lane % (kWarp / RW) == 0 && r < rows) {
                y[row0 + r] = (float)v;
            }
        } else if (lane % (kWarp / RW) == 0) {
            partial[buf][k_warp][r] = v;
        }
        __syncthreads();  // every warp is done with stage s (and has left its partial sums)
        if constexpr (kSplit > 1) {
            if (warp == 0 && lane < rows) {
                double sum = 0.0;
#pragma unroll
                for (int k = 0; k < kSplit; k++) {
                    sum += partial[buf][k][lane];
                }
                y[row0 + lane] = (float)sum;
            }
        }
        const long next = t + (long)stages * gridDim.x;
        if (next < tiles) {
            fill(next, s);
        }
        if (++s == stages) {
            s = 0;
            phase ^= 1;
        }
    }
}

// The device's SM count, read once.
int sm_count() {
    static const int sms = [] {
        int dev = 0, n = 0;
        GPU_CHECK_LAUNCH(gpuGetDevice(&dev));
        GPU_CHECK_LAUNCH(gpuDeviceGetAttribute(&n, gpuDevAttrMultiProcessorCount, dev));
        return n;
    }();
    return sms;
}

// Resident blocks per SM of one staged instantiation with `smem` bytes of stages; raises the kernel's dynamic
// shared-memory limit to `smem` first, so a plan that uses it can be launched. Called only while a plan is
// computed (gpu::staged_plan holds its lock), once per shape.
template <class F, int RW, int kActIters, int kSplit>
int staged_blocks_per_sm(size_t smem) {
    static int attr_smem = 0;
    const auto kernel = gemv_staged_kernel<F, RW, kActIters, kSplit>;
    if ((int)smem > attr_smem) {
        GPU_CHECK_LAUNCH(gpuFuncSetAttribute(reinterpret_cast<const void*>(kernel),
                                             gpuFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
        attr_smem = (int)smem;
    }
    int per_sm = 0;
    GPU_CHECK_LAUNCH(gpuOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kStagedThreads, smem));
    return per_sm;
}

// The staged kernel's plan at RW rows per warp: stage size, stages per block, grid. `one_stage`: a single stage
// per block (for a plan whose every block takes exactly one tile, a second stage would only cost occupancy).
// Empty when the shape does not suit this RW (a tile off a 16-byte boundary, or over 100 KB).
template <class F, int RW, int kActIters, int kSplit>
std::optional<gpu::StagedPlan> staged_plan_for(long M, long K, int max_blocks, bool one_stage) {
    constexpr int kTileRows = kStagedWarps / kSplit * RW;
    const size_t rb = (size_t)(K / F::QK) * F::BYTES;
    // A tile plus its misalignment (< 16) and the decoder's read-ahead of one word, in whole 128-byte lines.
    const size_t stage = (kTileRows * rb + 32 + 127) & ~(size_t)127;
    // Every tile must start on a 16-byte boundary (the bulk copy's alignment); only the matrix's own end may
    // not. Tiles of 4 rows (one row per warp) whose rows hold an odd number of TQ 256-blocks miss it.
    if ((kTileRows * rb) % 16 != 0 || stage > 100 * 1024) {
        return std::nullopt;
    }
    const int stages = one_stage ? 1 : (int)std::clamp<size_t>(ONEBIT_STAGE_BYTES / stage, 2, kMaxStages);
    const int per_sm = staged_blocks_per_sm<F, RW, kActIters, kSplit>(stage * stages);
    if (per_sm < 1) {
        return std::nullopt;
    }
    const long tiles = (M + kTileRows - 1) / kTileRows;
    long grid = std::min<long>(tiles, (long)per_sm * sm_count());
    if (max_blocks > 0) {
        grid = std::min<long>(grid, max_blocks);
    }
    return gpu::StagedPlan{RW, kSplit, stages, (uint32_t)stage, (int)grid, tiles};
}

// Warp iterations per row for one warp (split = 1) or each of the four warps sharing it (split = 4): blocks per
// row over the blocks those warp iterations cover.
template <class F>
long warp_iters(long K, int split = 1) {
    const long per_iter = (long)(kWarp / F::LANES) * split;
    return (K / F::QK + per_iter - 1) / per_iter;
}

// Calls fn.template operator()<RW, kActIters, kSplit>() for a runtime rw and split. Activations are held in
// registers (kActIters > 0) when a warp's share of a row takes one or two warp iterations (K up to 4096 for Q1_0
// and 2048 for TQ2_0/TQ1_0 per iteration and warp). Split plans exist for 4, 8 and 16 rows with resident
// activations only (choose_staged_plan asks for nothing else).
template <class F, class Fn>
auto with_staged(int rw, int split, long K, Fn&& fn) {
    const long iters = warp_iters<F>(K, split);
    auto by_iters = [&]<int RW, int kSplit>() {
#ifndef ONEBIT_NO_RESIDENT
        if (iters == 1) {
            return fn.template operator()<RW, 1, kSplit>();
        }
        if (iters == 2) {
            return fn.template operator()<RW, 2, kSplit>();
        }
#endif
        if constexpr (kSplit == 1) {
            return fn.template operator()<RW, 0, 1>();
        } else {
            return fn.template operator()<RW, 2, kSplit>();  // not reached (see above)
        }
    };
    if (split > 1) {
        switch (rw) {
            case 16: return by_iters.template operator()<16, kStagedWarps>();
            case 8: return by_iters.template operator()<8, kStagedWarps>();
            default: return by_iters.template operator()<4, kStagedWarps>();
        }
    }
    switch (rw) {
#if ONEBIT_STAGED_RW >= 16
        case 16: return by_iters.template operator()<16, 1>();
#endif
        case 8: return by_iters.template operator()<8, 1>();
        case 4: return by_iters.template operator()<4, 1>();
        case 2: return by_iters.template operator()<2, 1>();
        default: return by_iters.template operator()<1, 1>();
    }
}

// A single-wave plan takes at most this many blocks per SM (of 4 warps each) and at least 2 rows per warp (8
// rows per tile): on an H200 more blocks, or one row per warp, measured slower at every size tried (every warp
// loads the whole activation vector, and a one-row warp decodes too little of the weights to pay for it).
#ifndef ONEBIT_ONE_WAVE_BLOCKS_PER_SM
#define ONEBIT_ONE_WAVE_BLOCKS_PER_SM 4
#endif
#ifndef ONEBIT_ONE_WAVE_MIN_RW
#define ONEBIT_ONE_WAVE_MIN_RW 2
#endif
#ifndef ONEBIT_SPLIT_TILE_BYTES
#define ONEBIT_SPLIT_TILE_BYTES ONEBIT_TILE_BYTES
#endif

// Rows per warp: the most (up to ONEBIT_STAGED_RW) whose tile stays within ONEBIT_TILE_BYTES, so long rows still
// leave room for several stages. Rows too long for a warp to keep its activations in registers (more than two
// warp iterations) are split over the block's four warps (tiles of 4, 8 or 16 rows), which brings the
// activations back into registers: without that, every warp reloaded the activations of each of its rows.
// When the plan's every tile fits on the GPU at once (one tile per block, a single stage each, within
// ONEBIT_ONE_WAVE_BLOCKS_PER_SM), fewer rows per tile as long as that still holds: such a launch is a single wave
// whose time after the last bytes land is one warp decoding its rows, so more warps with fewer rows each shorten
// it (a 4096 x 4096 matrix would otherwise run on 128 blocks of 8-row warps, a quarter of an H200's block slots).
template <class F>
std::optional<gpu::StagedPlan> choose_staged_plan(long M, long K, int max_blocks) {
    const size_t rb = (size_t)(K / F::QK) * F::BYTES;
    auto plan = [&](int r, int split, bool one_stage) {
        return with_staged<F>(r, split, K, [&]<int RW, int kActIters, int kSplit>() {
            return staged_plan_for<F, RW, kActIters, kSplit>(M, K, max_blocks, one_stage);
        });
    };
    int rw = ONEBIT_STAGED_RW, split = 1, min_rw = ONEBIT_ONE_WAVE_MIN_RW;
    while (rw > 1 && rw * kStagedWarps * rb > ONEBIT_TILE_BYTES) {
        rw /= 2;
    }
#if !defined(ONEBIT_NO_SPLIT) && !defined(ONEBIT_NO_RESIDENT)
    if (warp_iters<F>(K) > 2 && warp_iters<F>(K, kStagedWarps) <= 2) {
        int r = 16;
        while (r > 4 && r * rb > ONEBIT_SPLIT_TILE_BYTES) {
            r /= 2;
        }
        if (r * rb <= ONEBIT_SPLIT_TILE_BYTES && plan(r, kStagedWarps, false)) {
            rw = r;
            split = kStagedWarps;
            min_rw = std::max(4, ONEBIT_ONE_WAVE_MIN_RW * kStagedWarps);
        }
    }
#endif
    auto best = plan(rw, split, false);
    if (!best) {
        return best;
    }
#if !defined(ONEBIT_NO_ONE_WAVE) && !defined(ONEBIT_NO_RESIDENT)
    if (warp_iters<F>(K, split) <= 2) {
        const long most = (long)ONEBIT_ONE_WAVE_BLOCKS_PER_SM * sm_count();
        for (int r = rw; r >= min_rw; r /= 2) {
            const auto p = plan(r, split, true);
            if (!p || p->blocks < p->tiles || p->tiles > most) {
                break;
            }
            best = p;
        }
    }
#endif
    return best;
}

template <class F>
bool launch_staged(const gpu::StagedPlan& p, const uint8_t* w, const ActBlock* act, float* y, long M, long K,
                   gpuStream_t stream) {
    // A programmatic dependent launch: as the kernel before this one in the stream retires its blocks, this one's
    // blocks start and fetch their first tiles of weights (which that kernel cannot have written), then wait for
    // its completion before reading activations. Hides most of a launch's ramp-up in a run of GEMVs.
    return with_staged<F>(p.rows_per_warp, p.split, K, [&]<int RW, int kActIters, int kSplit>() {
        launch_dependent(gemv_staged_kernel<F, RW, kActIters, kSplit>, dim3((unsigned)p.blocks), dim3(kStagedThreads),
                         (size_t)p.stage_bytes * p.stages, stream, w, act, y, M, K, p.stages, p.stage_bytes);
        return true;
    });
}

void check_shape(long M, long K, int n_vectors) {
    if (K <= 0 || K % QK_K != 0) {
        throw std::invalid_argument("gemv: K = " + std::to_string(K) + " is not a positive multiple of 256");
    }
    if (n_vectors < 1 || n_vectors > 8) {
        throw std::invalid_argument("gemv: batch of " + std::to_string(n_vectors) + " vectors; use 1..8");
    }
    if (M <= 0) {
        throw std::invalid_argument("gemv: M must be positive");
    }
}

template <class F, int B, int R>
void launch_one(const uint8_t* w, const ActBlock* act, float* y, long M, long K, gpuStream_t stream) {
    const long warps = (M + R - 1) / R;
    const dim3 grid((unsigned)((warps + kWarpsPerBlock - 1) / kWarpsPerBlock));
    launch_dependent(gemv_kernel<F, B, R>, grid, dim3(kThreads), 0, stream, w, act, y, M, K);
}

template <class F>
void launch(const uint8_t* w, const ActBlock* act, float* y, long M, long K, int n, int rows_per_warp,
            gpuStream_t stream) {
    switch (n) {
        case 1:
            if (rows_per_warp == 1) {
                launch_one<F, 1, 1>(w, act, y, M, K, stream);
            } else if (rows_per_warp == 2) {
                launch_one<F, 1, 2>(w, act, y, M, K, stream);
            } else {
                launch_one<F, 1, 4>(w, act, y, M, K, stream);
            }
            break;
        case 2: launch_one<F, 2, 1>(w, act, y, M, K, stream); break;
        case 3: launch_one<F, 3, 1>(w, act, y, M, K, stream); break;
        case 4: launch_one<F, 4, 1>(w, act, y, M, K, stream); break;
        case 5: launch_one<F, 5, 1>(w, act, y, M, K, stream); break;
        case 6: launch_one<F, 6, 1>(w, act, y, M, K, stream); break;
        case 7: launch_one<F, 7, 1>(w, act, y, M, K, stream); break;
        case 8: launch_one<F, 8, 1>(w, act, y, M, K, stream); break;
    }
}

}  // namespace

void gpu::gemv(Format f, const uint8_t* w, const ActBlock* act, float* y, long M, long K, int n_vectors,
               void* stream) {
    check_shape(M, K, n_vectors);
    // One vector: the staged kernel wherever it applies (sm_90). Before GEMVs were programmatic dependent
    // launches, the per-warp kernel measured faster for long rows of matrices under 64 MB; with them the staged
    // kernel is as fast or faster at every benchmark shape (H200, kernels/README.md).
#if defined(ONEBIT_GPU_HIP)
    // No bulk-copy engine on RDNA: the staged kernel would copy each tile with its own threads before decoding
    // it, unmeasured on gfx1151, so the per-warp kernel stays the default there (gemv_staged remains callable).
    const bool staged = false;
#else
    const bool staged = true;
#endif
    if (n_vectors == 1 && staged && gemv_staged(f, w, act, y, M, K, 0, stream)) {
        return;
    }
    gemv_rows(f, w, act, y, M, K, n_vectors, default_rows_per_warp(f), stream);
}

std::optional<gpu::StagedPlan> gpu::staged_plan(Format f, long M, long K, int max_blocks) {
    check_shape(M, K, 1);
    // A plan depends on the shape alone, and a model has a handful of shapes: each is planned once (the occupancy
    // queries stay off the launch path), under a lock since GEMVs may be launched from several host threads.
    static std::mutex lock;
    static std::map<std::tuple<Format, long, long, int>, std::optional<StagedPlan>> plans;
    const std::lock_guard<std::mutex> hold(lock);
    const auto key = std::make_tuple(f, M, K, max_blocks);
    if (const auto known = plans.find(key); known != plans.end()) {
        return known->second;
    }
    std::optional<StagedPlan> plan;
    switch (f) {
        case Format::TQ2_0: plan = choose_staged_plan<dev::TQ2_0>(M, K, max_blocks); break;
        case Format::TQ1_0: plan = choose_staged_plan<dev::TQ1_0>(M, K, max_blocks); break;
        case Format::Q1_0: plan = choose_staged_plan<dev::Q1_0>(M, K, max_blocks); break;
    }
    plans.emplace(key, plan);
    return plan;
}

bool gpu::gemv_staged(Format f, const uint8_t* w, const ActBlock* act, float* y, long M, long K, int max_blocks,
                      void* stream) {
    const auto s = static_cast<gpuStream_t>(stream);
    const auto plan = staged_plan(f, M, K, max_blocks);
    if (!plan || reinterpret_cast<uintptr_t>(w) % 16 != 0) {
        return false;
    }
    switch (f) {
        case Format::TQ2_0: return launch_staged<dev::TQ2_0>(*plan, w, act, y, M, K, s);
        case Format::TQ1_0: return launch_staged<dev::TQ1_0>(*plan, w, act, y, M, K, s);
        case Format::Q1_0: return launch_staged<dev::Q1_0>(*plan, w, act, y, M, K, s);
    }
    return false;
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
                    int rows_per_warp, void* stream) {
    const auto s = static_cast<gpuStream_t>(stream);
    if (rows_per_warp != 1 && rows_per_warp != 2 && rows_per_warp != 4) {
        throw std::invalid_argument("gemv: rows per warp must be 1, 2 or 4");
    }
    check_shape(M, K, n_vectors);

    switch (f) {
        case Format::TQ2_0: launch<dev::TQ2_0>(w, act, y, M, K, n_vectors, rows_per_warp, s); break;
        case Format::TQ1_0: launch<dev::TQ1_0>(w, act, y, M, K, n_vectors, rows_per_warp, s); break;
        case Format::Q1_0: launch<dev::Q1_0>(w, act, y, M, K, n_vectors, rows_per_warp, s); break;
    }
}

}  // namespace onebit
