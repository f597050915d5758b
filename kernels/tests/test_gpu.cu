// GPU kernels against the CPU reference: activation quantization and dequantization bit-exact, GEMV and
// small-batch GEMM within 1e-5 relative of the double-precision reference on the same int8 activations.
// Edge cases: TQ2_0 code 3, TQ1_0 bytes >= 243 (every byte value appears in the random rows), d = 0 blocks,
// row counts that are not a multiple of the 8-row tile, and K that is not a multiple of 256 (rejected). The staged
// kernel (shared-memory tiles) also on capped grids, unaligned weights and matrices whose size is not 16-aligned.
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "gpu_util.hpp"
#include "onebit/kernels.hpp"
#include "onebit/reference.hpp"

using namespace onebit;
using onebit::testing::DeviceBuffer;
using onebit::testing::Lcg;

namespace {

onebit::testing::Tally t;

// Random rows: either quantized from random floats, or raw random bytes with sane scales (so every code and
// every byte value 0..255 occurs), with some blocks' d set to 0.
std::vector<uint8_t> make_weights(Format f, long M, long K, uint64_t seed, bool raw) {
    const size_t rb = ref::row_bytes(f, K);
    std::vector<uint8_t> w(M * rb);
    Lcg rng(seed);
    if (!raw) {
        const auto x = onebit::testing::random_floats(seed, M * K, 0.02f);
        for (long r = 0; r < M; r++) {
            ref::quantize_row(f, x.data() + r * K, w.data() + r * rb, K);
        }
    } else {
        for (auto& b : w) {
            b = (uint8_t)rng.next();
        }
    }
    const int bytes = ref::block_bytes(f);
    const int d_offset = f == Format::TQ2_0 ? 64 : f == Format::TQ1_0 ? 52 : 0;
    for (size_t blk = 0; blk < w.size() / bytes; blk++) {
        const float d = (blk % 17 == 5) ? 0.0f : (raw ? 0.001f + (rng.next() % 1000) * 1e-5f : -1.0f);
        if (d >= 0.0f) {
            const ggml_half h = float_to_half(d);
            std::memcpy(&w[blk * bytes + d_offset], &h, 2);
        }
    }
    return w;
}

// Rows of y more than 1e-5 relative off the reference (printing the first few).
int rows_off(const std::string& what, const std::vector<float>& y, const std::vector<double>& expect) {
    int bad = 0;
    for (size_t r = 0; r < expect.size(); r++) {
        const double rel = expect[r] == 0.0 ? std::fabs(y[r]) : std::fabs(y[r] - expect[r]) / std::fabs(expect[r]);
        if (!(rel <= 1e-5) && bad++ < 3) {
            std::printf("  %s: row %zu: gpu %.9g ref %.9g\n", what.c_str(), r, y[r], expect[r]);
        }
    }
    return bad;
}

// How check_shape runs the GEMV: gemv (default), gemv_rows with rows_per_warp, or the staged kernel alone with
// its grid capped at staged_blocks (so few blocks walk many tiles and wrap around every stage), on weights placed
// `misalign` bytes past a 16-byte boundary.
struct Variant {
    int rows_per_warp = 0;
    int staged_blocks = 0;
    int misalign = 0;
    bool tiles_aligned = true;  // the staged kernel's tiles start on 16-byte boundaries (else it must decline)
};

void check_shape(Format f, long M, long K, int batch, bool raw, Variant v = {}) {
    const int rows_per_warp = v.rows_per_warp;
    const std::string what = std::string(name(f)) + " M=" + std::to_string(M) + " K=" + std::to_string(K) + " B=" +
                             std::to_string(batch) + (raw ? " raw" : " quantized") +
                             (rows_per_warp ? " rows/warp=" + std::to_string(rows_per_warp) : "") +
                             (v.staged_blocks ? " staged on " + std::to_string(v.staged_blocks) + " blocks" : "") +
                             (v.misalign ? " at +" + std::to_string(v.misalign) + " bytes" : "");
    const auto w = make_weights(f, M, K, 7 + M * 31 + K + batch, raw);
    const auto x = onebit::testing::random_floats(99 + K + batch, K * batch, 2.5f);

    std::vector<ActBlock> act(batch * K / QK_K);
    for (int j = 0; j < batch; j++) {
        ref::quantize_activations(f, x.data() + j * K, act.data() + j * K / QK_K, K);
    }
    DeviceBuffer<float> dx(x.size());
    dx.upload(x);
    DeviceBuffer<ActBlock> dact(act.size());
    gpu::quantize_activations(f, dx.ptr, dact.ptr, K, batch);
    GPU_CHECK(gpuDeviceSynchronize());
    const auto gact = dact.download();
    t.check(std::memcmp(gact.data(), act.data(), act.size() * sizeof(ActBlock)) == 0,
            what + ": activation quantization is bit-exact");

    DeviceBuffer<uint8_t> dw_buf(w.size() + v.misalign);
    uint8_t* const dw = dw_buf.ptr + v.misalign;
    GPU_CHECK(gpuMemcpy(dw, w.data(), w.size(), gpuMemcpyHostToDevice));
    DeviceBuffer<float> dy(M * batch);
    if (v.staged_blocks > 0) {
        const bool ran = gpu::gemv_staged(f, dw, dact.ptr, dy.ptr, M, K, v.staged_blocks);
        t.check(ran == (v.misalign % 16 == 0 && v.tiles_aligned),
                what + ": the staged kernel runs exactly on 16-byte-aligned weights and tiles");
        if (!ran) {
            gpu::gemv(f, dw, dact.ptr, dy.ptr, M, K, batch);
        }
    } else if (rows_per_warp == 0) {
        gpu::gemv(f, dw, dact.ptr, dy.ptr, M, K, batch);
    } else {
        gpu::gemv_rows(f, dw, dact.ptr, dy.ptr, M, K, batch, rows_per_warp);
    }
    GPU_CHECK(gpuGetLastError());
    GPU_CHECK(gpuDeviceSynchronize());
    const auto y = dy.download();
    int bad = 0;
    double worst = 0.0;
    for (int j = 0; j < batch; j++) {
        const auto expect = ref::gemv(f, w.data(), act.data() + j * K / QK_K, M, K);
        for (long r = 0; r < M; r++) {
            const double e = expect[r], g = y[j * M + r];
            const double rel = e == 0.0 ? std::fabs(g) : std::fabs(g - e) / std::fabs(e);
            worst = std::max(worst, rel);
            if (!(rel <= 1e-5)) {
                if (bad++ < 3) {
                    std::printf("  %s: row %ld vector %d: gpu %.9g ref %.9g\n", what.c_str(), r, j, g, e);
                }
            }
        }
    }
    t.check(bad == 0, what + ": GEMV within 1e-5 relative (worst " + std::to_string(worst) + ")");

    if (batch == 1) {
        DeviceBuffer<uint16_t> dh(M * K);
        gpu::dequantize_f16(f, dw, dh.ptr, M, K);
        GPU_CHECK(gpuDeviceSynchronize());
        const auto h = dh.download();
        std::vector<ggml_half> expect(M * K);
        const size_t rb = ref::row_bytes(f, K);
        for (long r = 0; r < M; r++) {
            ref::dequantize_row_f16(f, w.data() + r * rb, expect.data() + r * K, K);
        }
        t.check(std::memcmp(h.data(), expect.data(), expect.size() * 2) == 0, what + ": dequantization to f16 is bit-exact");

        // f32: the same values unrounded (a ternary code times d is exact in f32; in f16 unless 2d overflows).
        DeviceBuffer<float> df(M * K);
        gpu::dequantize_f32(f, dw, df.ptr, M, K);
        DeviceBuffer<uint16_t> db(M * K);
        gpu::dequantize_bf16(f, dw, db.ptr, M, K);
        GPU_CHECK(gpuDeviceSynchronize());
        const auto f32 = df.download();
        const auto b16 = db.download();
        long f32_bad = 0, bf16_bad = 0;
        for (size_t i = 0; i < expect.size(); i++) {
            const float want = half_to_float(expect[i]), got = f32[i];
            const bool ok = std::isnan(want) ? std::isnan(got)
                          : std::isinf(want) ? (std::isinf(got) || std::fabs(got) >= 65504.0f) : got == want;
            f32_bad += !ok;
            uint32_t bits;
            std::memcpy(&bits, &got, 4);
            bf16_bad += b16[i] != (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
        }
        t.check(f32_bad == 0, what + ": dequantization to f32 equals the f16 values (" + std::to_string(f32_bad) + " differ)");
        t.check(bf16_bad == 0, what + ": dequantization to bf16 rounds the f32 values to nearest even (" + std::to_string(bf16_bad) + " differ)");
    }
}

// Stands in for the kernel before a GEMV in a model's stream (the one producing its input): it lets the next
// launch start at once (programmatic dependent launch on sm_90; an ordinary kernel elsewhere), spins for about
// 100 us, then writes the GEMV's activations and overwrites its output with NaN. A GEMV that overlaps it must
// still read these activations and write its output after it.
__global__ void late_writer(const ActBlock* src, ActBlock* act, int n_act, float* y, long n_y) {
    grid_dependents_may_launch();
    const long long start = clock64();
    while (clock64() - start < 200000) {
    }
    for (int i = threadIdx.x; i < n_act; i += blockDim.x) {
        act[i] = src[i];
    }
    for (long i = threadIdx.x; i < n_y; i += blockDim.x) {
        y[i] = __int_as_float(0x7fc00000);
    }
}

void waits_for_the_kernel_before(Format f, int rows_per_warp) {
    constexpr long M = 8192, K = 4096;
    const std::string what = std::string(name(f)) + " GEMV after a late writer" +
                             (rows_per_warp ? " (per-warp kernel, " + std::to_string(rows_per_warp) + " rows/warp)"
                                            : " (gemv)");
    const auto w = make_weights(f, M, K, 4242, false);
    DeviceBuffer<uint8_t> dw(w.size());
    dw.upload(w);
    std::vector<ActBlock> stale(K / QK_K), fresh(K / QK_K);
    ref::quantize_activations(f, onebit::testing::random_floats(77, K, 2.5f).data(), stale.data(), K);
    ref::quantize_activations(f, onebit::testing::random_floats(78, K, 2.5f).data(), fresh.data(), K);
    DeviceBuffer<ActBlock> dact(stale.size()), dfresh(fresh.size());
    dact.upload(stale);
    dfresh.upload(fresh);
    DeviceBuffer<float> dy(M);
    auto run_gemv = [&] {
        if (rows_per_warp) {
            gpu::gemv_rows(f, dw.ptr, dact.ptr, dy.ptr, M, K, 1, rows_per_warp);
        } else {
            gpu::gemv(f, dw.ptr, dact.ptr, dy.ptr, M, K, 1);
        }
    };
    // A first launch of each kernel loads its module (lazy loading), which serialises it with the kernel before.
    late_writer<<<1, 256>>>(dact.ptr, dact.ptr, 0, dy.ptr, 0);
    run_gemv();
    GPU_CHECK(gpuDeviceSynchronize());
    late_writer<<<1, 256>>>(dfresh.ptr, dact.ptr, (int)fresh.size(), dy.ptr, M);
    run_gemv();
    GPU_CHECK(gpuGetLastError());
    GPU_CHECK(gpuDeviceSynchronize());
    const int bad = rows_off(what, dy.download(), ref::gemv(f, w.data(), fresh.data(), M, K));
    t.check(bad == 0, what + ": reads the activations and writes y after the kernel before it (" +
                          std::to_string(bad) + " rows off)");
}

// The ops on a caller's (non-blocking) stream, and captured into a graph: activation quantization, the staged
// GEMV (single-wave and split plans by shape) and a batch of 2 on the per-warp kernel. The graph is replayed
// after the input changed, so a capture that ran the kernels instead of recording them fails.
void runs_on_a_stream_and_in_a_graph(Format f, long M, long K) {
    const std::string what = std::string(name(f)) + " " + std::to_string(M) + " x " + std::to_string(K);
    const auto w = make_weights(f, M, K, 900 + K, false);
    DeviceBuffer<uint8_t> dw(w.size());
    dw.upload(w);
    DeviceBuffer<float> dx(2 * K), dy(M), dy2(2 * M);
    DeviceBuffer<ActBlock> dact(2 * K / QK_K);
    gpuStream_t s;
    GPU_CHECK(gpuStreamCreateWithFlags(&s, gpuStreamNonBlocking));
    auto enqueue = [&] {
        gpu::quantize_activations(f, dx.ptr, dact.ptr, K, 2, s);
        gpu::gemv(f, dw.ptr, dact.ptr, dy.ptr, M, K, 1, s);
        gpu::gemv(f, dw.ptr, dact.ptr, dy2.ptr, M, K, 2, s);
    };
    auto expect = [&](const std::vector<float>& x, int j) {
        std::vector<ActBlock> act(K / QK_K);
        ref::quantize_activations(f, x.data() + j * K, act.data(), K);
        return ref::gemv(f, w.data(), act.data(), M, K);
    };
    auto check = [&](const std::vector<float>& x, const std::string& how) {
        const auto y = dy.download(), y2 = dy2.download();
        const std::vector<float> y2a(y2.begin(), y2.begin() + M), y2b(y2.begin() + M, y2.end());
        const int bad = rows_off(what, y, expect(x, 0)) + rows_off(what, y2a, expect(x, 0)) +
                        rows_off(what, y2b, expect(x, 1));
        t.check(bad == 0, what + ": " + how + " (" + std::to_string(bad) + " rows off)");
    };
    const auto x1 = onebit::testing::random_floats(31 + K, 2 * K, 2.5f);
    const auto x2 = onebit::testing::random_floats(32 + K, 2 * K, 2.5f);
    dx.upload(x1);
    enqueue();
    GPU_CHECK(gpuStreamSynchronize(s));
    GPU_CHECK(gpuGetLastError());
    check(x1, "quantize, GEMV and batch-2 GEMM on a non-blocking stream");

    gpuGraph_t graph;
    gpuGraphExec_t exec;
    GPU_CHECK(gpuStreamBeginCapture(s, gpuStreamCaptureModeGlobal));
    enqueue();
    GPU_CHECK(gpuStreamEndCapture(s, &graph));
    GPU_CHECK(gpuGraphInstantiateWithFlags(&exec, graph, 0));
    dx.upload(x2);
    GPU_CHECK(gpuGraphLaunch(exec, s));
    GPU_CHECK(gpuStreamSynchronize(s));
    check(x2, "the same captured in a graph, replayed on new input");
    dx.upload(x1);
    GPU_CHECK(gpuGraphLaunch(exec, s));
    GPU_CHECK(gpuStreamSynchronize(s));
    check(x1, "the graph replayed again");
    GPU_CHECK(gpuGraphExecDestroy(exec));
    GPU_CHECK(gpuGraphDestroy(graph));
    GPU_CHECK(gpuStreamDestroy(s));
}

void rejects_bad_shapes() {
    for (Format f : {Format::TQ2_0, Format::TQ1_0, Format::Q1_0}) {
        bool threw = false;
        try {
            gpu::gemv(f, nullptr, nullptr, nullptr, 8, 300, 1);
        } catch (const std::invalid_argument&) {
            threw = true;
        }
        t.check(threw, std::string(name(f)) + ": gemv rejects K = 300");
        threw = false;
        try {
            gpu::gemv(f, nullptr, nullptr, nullptr, 8, 512, 9);
        } catch (const std::invalid_argument&) {
            threw = true;
        }
        t.check(threw, std::string(name(f)) + ": gemv rejects a batch of 9");
        threw = false;
        try {
            gpu::dequantize_f16(f, nullptr, nullptr, 8, 1000);
        } catch (const std::invalid_argument&) {
            threw = true;
        }
        t.check(threw, std::string(name(f)) + ": dequantize rejects K = 1000");
    }
}

}  // namespace

// The staged kernel's plans: a matrix larger than the GPU holds at once, or with long rows, streams through
// several stages per block; one of short rows whose tiles all fit gets one stage per block, one tile each, and
// fewer rows per warp than the large plan (on a 132-SM sm_90 card, the only kind these tests run on).
void plans_the_staged_kernel() {
    for (Format f : {Format::TQ2_0, Format::TQ1_0, Format::Q1_0}) {
        const std::string fmt = name(f);
        const auto large = gpu::staged_plan(f, 128256, 4096);
        t.check(large.has_value() && large->stages >= 2 && large->blocks < large->tiles,
                fmt + " 128256 x 4096: several stages per block, blocks walk several tiles");
        for (long m : {4096L, 2560L}) {
            const auto mid = gpu::staged_plan(f, m, m);
            t.check(mid.has_value() && mid->stages == 1 && mid->blocks == mid->tiles &&
                        mid->rows_per_warp < large->rows_per_warp &&
                        (long)mid->rows_per_warp * 4 * mid->tiles >= m,
                    fmt + " " + std::to_string(m) + " square: one wave of one-tile blocks with fewer rows per warp");
        }
        // Rows too long for one warp to hold their activations are split over the block's four warps; rows too
        // long even for that stay whole (one row per warp).
        // (Q1_0 holds 4096 activations per warp iteration, TQ2_0 and TQ1_0 2048.)
        for (long k : {6912L, 14336L}) {
            const bool split = f != Format::Q1_0 || k > 8192;
            const auto p = gpu::staged_plan(f, 4096, k);
            t.check(p.has_value() && p->split == (split ? 4 : 1) && (!split || p->rows_per_warp >= 8),
                    fmt + " 4096 x " + std::to_string(k) + (split ? ": each row split over four warps" : ": rows whole"));
        }
        const auto very_long = gpu::staged_plan(f, 64, 40960);
        t.check(very_long.has_value() && very_long->split == 1, fmt + " 64 x 40960: rows stay whole");
        t.check(large->split == 1, fmt + " 128256 x 4096: rows stay whole");
        const auto capped = gpu::staged_plan(f, 261, 2560, 1);
        t.check(capped.has_value() && capped->blocks == 1 && capped->stages >= 2,
                fmt + " capped at one block: that block reuses several stages");
    }
}

int main() {
    rejects_bad_shapes();
    plans_the_staged_kernel();
    for (Format f : {Format::TQ2_0, Format::TQ1_0, Format::Q1_0}) {
        runs_on_a_stream_and_in_a_graph(f, 4096, 4096);   // single-wave plan
        runs_on_a_stream_and_in_a_graph(f, 1000, 14336);  // rows split over four warps (TQ, Q1_0)
    }
    for (Format f : {Format::TQ2_0, Format::TQ1_0, Format::Q1_0}) {
        for (int rows : {0, 2}) {
            waits_for_the_kernel_before(f, rows);
        }
    }
    for (Format f : {Format::TQ2_0, Format::TQ1_0, Format::Q1_0}) {
        for (bool raw : {false, true}) {
            check_shape(f, 1, 256, 1, raw);
            check_shape(f, 13, 512, 1, raw);
            check_shape(f, 67, 2560, 1, raw);
            check_shape(f, 261, 6912, 1, raw);
            check_shape(f, 37, 14336, 1, raw);
        }
        for (int rows : {1, 2, 4}) {
            check_shape(f, 67, 6912, 1, true, {.rows_per_warp = rows});
            check_shape(f, 5, 2560, 1, false, {.rows_per_warp = rows});
        }
        // The staged kernel: one or three blocks walking every tile (stages reused many times), row counts off
        // the tile, matrices whose size is not a multiple of 16 bytes (the tail copied plainly), and weights
        // that are not 16-byte aligned (it declines; gemv falls back to the per-warp kernel).
        check_shape(f, 261, 2560, 1, true, {.staged_blocks = 1});
        check_shape(f, 1003, 256, 1, true, {.staged_blocks = 3});
        check_shape(f, 77, 14336, 1, false, {.staged_blocks = 2});
        check_shape(f, 9, 40960, 1, true, {.staged_blocks = 2});  // long rows: one row per warp
        // One row per warp and an odd number of 256-blocks per row: 4-row TQ tiles would start off a 16-byte
        // boundary, so the staged kernel declines and gemv falls back; Q1_0's (36-byte multiples) stay aligned.
        check_shape(f, 13, 256 * 87, 1, true, {.staged_blocks = 2, .tiles_aligned = f == Format::Q1_0});
        check_shape(f, 13, 256 * 87, 1, false);
        check_shape(f, 45, 512, 1, true, {.staged_blocks = 2, .misalign = 2});
        check_shape(f, 45, 512, 1, true, {.misalign = 6});
        // Single-wave plans (one stage, fewer rows per warp) at sizes where the rows run out before the blocks.
        check_shape(f, 4096, 4096, 1, false);
        check_shape(f, 2560, 2560, 1, true);
        for (int batch = 2; batch <= 8; batch++) {
            check_shape(f, 29, 2560, batch, true);
        }
    }
    return t.finish();
}
