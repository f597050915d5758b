// GEMV benchmark (CUDA, or HIP where an AMD GPU is at hand): the card's streaming-read bandwidth, then each format's GEMV at LLM shapes with a
// cold cache (weight copies rotated well beyond L2), median of repeats. Prints one line per result:
//   STREAM <GB/s>
//   READ <format> <M> <K> <microseconds> <GB/s>      (a plain streaming read of the same bytes: the size's ceiling)
//   GEMV <format> <M> <K> <microseconds> <GB/s>      (launches queued: the GPU's time; HOSTPACED: host-paced)
//   PLAN <format> <M> <K> rows/warp=<n> stages=<n> blocks=<n> tiles=<n> split=<n>   (the staged kernel's launch)
//   GRAPH <format> <M> <K> <microseconds> <GB/s>     (100 launches captured in a CUDA graph, replayed queued)
// bench/f16_baseline.py measures the f16 baseline (torch, cuBLAS) on the same shapes; bench/run_h100.sh runs both
// and writes the table.
//   bench_gemv [repeats [format M K]]     (one case, any M and K: for a profiler, or shapes beyond the table)
//   bench_gemv repeats stream            (the STREAM line only: llama.cpp/run_h200.sh's bandwidth limit)
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "../tests/common.hpp"
#include "../tests/gpu_util.hpp"
#include "onebit/kernels.hpp"
#include "onebit/reference.hpp"

using namespace onebit;

namespace {

constexpr size_t kRotateBytes = 1ull << 30;  // >= 1 GiB of distinct weights per shape: L2 is 50 MB

__global__ void read_kernel(const int4* __restrict__ p, size_t n, int* out) {
    int acc = 0;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        const int4 v = __ldg(p + i);
        acc ^= v.x ^ v.y ^ v.z ^ v.w;
    }
    if (acc == 0x12345678) {
        *out = acc;  // keeps the loads alive
    }
}

// A constant-rate device clock: CUDA's global timer (nanoseconds), HIP's wall clock (hipDeviceAttributeWallClockRate).
__device__ __forceinline__ unsigned long long device_clock() {
#if defined(ONEBIT_GPU_HIP)
#if defined(__GFX11__) || defined(__GFX12__)
    return __builtin_amdgcn_s_sendmsg_rtnl(0x83);  // MSG_RTN_GET_REALTIME (gfx11 has no s_memrealtime)
#elif defined(__HIP_DEVICE_COMPILE__)
    return __builtin_amdgcn_s_memrealtime();
#else
    return 0;  // the host pass parses device bodies too
#endif
#else
    unsigned long long t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
#endif
}

// device_clock ticks in `ms` milliseconds.
unsigned long long spin_ticks(double ms) {
#if defined(ONEBIT_GPU_HIP)
    static const int khz = [] {
        int rate = 100'000;  // s_memrealtime's 100 MHz on RDNA and CDNA, for HIP before the attribute (5.5)
#if HIP_VERSION >= 50500000
        int dev = 0;
        GPU_CHECK(hipGetDevice(&dev));
        GPU_CHECK(hipDeviceGetAttribute(&rate, hipDeviceAttributeWallClockRate, dev));
#endif
        return rate;
    }();
    return (unsigned long long)(ms * khz);
#else
    return (unsigned long long)(ms * 1e6);
#endif
}

// Holds the GPU for `ticks` of the device's wall clock (spin_ticks), so that the launches the host enqueues
// meanwhile run back to back.
__global__ void spin_kernel(unsigned long long ticks) {
    const unsigned long long t0 = device_clock();
    while (device_clock() - t0 < ticks) {
    }
}

// Median over `repeats` of the time per launch of one repeat of `per_repeat` launches on `stream`, each repeat
// enqueued by `enqueue`. Host-paced (queued = false): the host enqueues while the GPU runs, so a launch shorter
// than the host's launch call (a few microseconds) waits for it. Queued: a spin kernel holds the GPU until the
// whole repeat is enqueued, so the time is the GPU's alone; checked per repeat (the start event must still be
// pending when the host has enqueued the last launch).
template <class F>
double timed_median_ms(int repeats, int per_repeat, gpuStream_t stream, bool queued, F&& enqueue) {
    gpuEvent_t a, b;
    GPU_CHECK(gpuEventCreate(&a));
    GPU_CHECK(gpuEventCreate(&b));
    std::vector<double> ms;
    for (int r = 0; r < repeats; r++) {
        if (queued) {
            spin_kernel<<<1, 1, 0, stream>>>(spin_ticks(2.0));
        }
        GPU_CHECK(gpuEventRecord(a, stream));
        enqueue();
        if (queued && gpuEventQuery(a) != gpuErrorNotReady) {
            std::fprintf(stderr, "bench: the GPU reached the timed launches before the host had enqueued them all\n");
            std::exit(2);
        }
        GPU_CHECK(gpuEventRecord(b, stream));
        GPU_CHECK(gpuEventSynchronize(b));
        float t = 0;
        GPU_CHECK(gpuEventElapsedTime(&t, a, b));
        ms.push_back(t / per_repeat);
    }
    GPU_CHECK(gpuEventDestroy(a));
    GPU_CHECK(gpuEventDestroy(b));
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

// Back-to-back launches on the legacy stream, launch(i) with i counting up across repeats (rotating copies).
template <class F>
double median_ms(int repeats, int per_repeat, F&& launch, bool queued = false) {
    int i = 0;
    return timed_median_ms(repeats, per_repeat, 0, queued, [&] {
        for (int k = 0; k < per_repeat; k++) {
            launch(i++);
        }
    });
}

// `per_graph` launches captured once into a CUDA graph on a stream of their own and replayed, queued: how a
// decode step runs when its launches are a graph (llama.cpp's CUDA back end does this), programmatic dependent
// launches included.
template <class F>
double graph_median_ms(int repeats, int per_graph, F&& launch) {
    gpuStream_t s;
    GPU_CHECK(gpuStreamCreateWithFlags(&s, gpuStreamNonBlocking));
    gpuGraph_t graph;
    gpuGraphExec_t exec;
    GPU_CHECK(gpuStreamBeginCapture(s, gpuStreamCaptureModeGlobal));
    for (int k = 0; k < per_graph; k++) {
        launch(k, s);
    }
    GPU_CHECK(gpuStreamEndCapture(s, &graph));
    GPU_CHECK(gpuGraphInstantiateWithFlags(&exec, graph, 0));
    GPU_CHECK(gpuGraphLaunch(exec, s));  // uploads the graph
    GPU_CHECK(gpuStreamSynchronize(s));
    const double ms = timed_median_ms(repeats, per_graph, s, true, [&] { GPU_CHECK(gpuGraphLaunch(exec, s)); });
    GPU_CHECK(gpuGraphExecDestroy(exec));
    GPU_CHECK(gpuGraphDestroy(graph));
    GPU_CHECK(gpuStreamDestroy(s));
    return ms;
}

double streaming_bandwidth(int repeats, int sms) {
    const size_t bytes = 2ull << 30;
    int4* p;
    int* out;
    GPU_CHECK(gpuMalloc(&p, bytes));
    GPU_CHECK(gpuMalloc(&out, 4));
    GPU_CHECK(gpuMemset(p, 1, bytes));
    const size_t n = bytes / sizeof(int4);
    double best = 0;
    for (int blocks_per_sm : {4, 8, 16, 32}) {
        const double ms = median_ms(repeats, 3, [&](int) { read_kernel<<<sms * blocks_per_sm, 256>>>(p, n, out); });
        best = std::max(best, bytes / (ms * 1e-3) / 1e9);
    }
    GPU_CHECK(gpuGetLastError());
    GPU_CHECK(gpuFree(p));
    GPU_CHECK(gpuFree(out));
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const int repeats = argc > 1 ? std::atoi(argv[1]) : 20;
    const std::string only_format = argc > 4 ? argv[2] : "";
    const long only_m = argc > 4 ? std::atol(argv[3]) : 0, only_k = argc > 4 ? std::atol(argv[4]) : 0;
    gpuDeviceProp prop;
    GPU_CHECK(gpuGetDeviceProperties(&prop, 0));
    const int sms = prop.multiProcessorCount;
    const double stream = argc > 4 ? 0.0 : streaming_bandwidth(repeats, sms);
    std::printf("DEVICE %s L2=%dMB\n", prop.name, prop.l2CacheSize >> 20);

    std::printf("STREAM %.1f\n", stream);
    if (argc == 3 && std::string(argv[2]) == "stream") {
        return 0;
    }
    // The LLM shapes, or the one shape of the filter (which may be any M and K).
    std::vector<std::array<long, 2>> shapes = {{2560, 2560}, {6912, 2560}, {2560, 6912}, {4096, 4096},
                                               {14336, 4096}, {4096, 14336}, {128256, 4096}};
    if (!only_format.empty()) {
        shapes = {{only_m, only_k}};
    }
    for (const auto& s : shapes) {
        const long M = s[0], K = s[1];
        for (Format f : {Format::TQ2_0, Format::TQ1_0, Format::Q1_0}) {
            if (!only_format.empty() && (only_format != name(f) || only_m != M || only_k != K)) {
                continue;
            }
            const size_t bytes = ref::row_bytes(f, K) * M;
            const int copies = (int)std::max<size_t>(2, (kRotateBytes + bytes - 1) / bytes);
            std::vector<uint8_t*> w(copies);
            // Real blocks: random rows quantized by the reference, repeated.
            std::vector<uint8_t> host(ref::row_bytes(f, K) * 64);
            const auto x = testing::random_floats(11, K * 64, 0.02f);
            for (int r = 0; r < 64; r++) ref::quantize_row(f, x.data() + r * K, host.data() + r * ref::row_bytes(f, K), K);
            for (auto& p : w) {
                GPU_CHECK(gpuMalloc(&p, bytes));
                for (size_t off = 0; off < bytes; off += host.size()) {
                    GPU_CHECK(gpuMemcpy(p + off, host.data(), std::min(host.size(), bytes - off), gpuMemcpyHostToDevice));
                }
            }
            float *xf, *y;
            ActBlock* act;
            GPU_CHECK(gpuMalloc(&xf, K * 4));
            GPU_CHECK(gpuMalloc(&y, M * 4));
            GPU_CHECK(gpuMalloc(&act, K / QK_K * sizeof(ActBlock)));
            const auto xv = testing::random_floats(12, K);
            GPU_CHECK(gpuMemcpy(xf, xv.data(), K * 4, gpuMemcpyHostToDevice));
            gpu::quantize_activations(f, xf, act, K, 1);
            // The ceiling at this size: a plain read of the same bytes (the streaming kernel, queued launches over
            // the same rotated copies), since a launch's ramp-up and drain weigh more the fewer bytes it reads.
            {
                int* sink;
                GPU_CHECK(gpuMalloc(&sink, 4));
                const size_t n = bytes / sizeof(int4);
                double best = 1e30;
                for (int blocks_per_sm : {2, 4, 8}) {
                    const long grid = std::min<long>(sms * blocks_per_sm, (long)((n + 255) / 256));
                    best = std::min(best, median_ms(repeats, 100, [&](int i) {
                        read_kernel<<<grid, 256>>>(reinterpret_cast<const int4*>(w[i % copies]), n, sink);
                    }, true));
                }
                GPU_CHECK(gpuGetLastError());
                GPU_CHECK(gpuFree(sink));
                std::printf("READ %s %ld %ld %.2f %.1f\n", name(f), M, K, best * 1e3, n * sizeof(int4) / (best * 1e-3) / 1e9);
            }
            // The default (GEMV), each rows-per-warp variant of the per-warp kernel and the staged kernel alone
            // (rows = -1) (TUNE), in the same run.
            for (int rows : {0, 1, 2, 4, -1}) {
                auto run = [&](int i) {
                    if (rows == 0) {
                        gpu::gemv(f, w[i % copies], act, y, M, K, 1);
                    } else if (rows < 0) {
                        if (!gpu::gemv_staged(f, w[i % copies], act, y, M, K)) {
                            gpu::gemv(f, w[i % copies], act, y, M, K, 1);
                        }
                    } else {
                        gpu::gemv_rows(f, w[i % copies], act, y, M, K, 1, rows);
                    }
                };
                for (int i = 0; i < copies; i++) run(i);  // touch every copy once before timing
                GPU_CHECK(gpuDeviceSynchronize());
                const double ms = median_ms(repeats, 100, run, true);
                GPU_CHECK(gpuGetLastError());
                const double moved = bytes + K / QK_K * sizeof(ActBlock) + M * 4;
                const double gbs = moved / (ms * 1e-3) / 1e9;
                if (rows == 0) {
                    std::printf("GEMV %s %ld %ld %.2f %.1f\n", name(f), M, K, ms * 1e3, gbs);
                    if (const auto p = gpu::staged_plan(f, M, K)) {
                        std::printf("PLAN %s %ld %ld rows/warp=%d stages=%d blocks=%d tiles=%ld split=%d\n", name(f), M,
                                    K, p->rows_per_warp, p->stages, p->blocks, p->tiles, p->split);
                    }
                    const double host_ms = median_ms(repeats, 10, run);
                    std::printf("HOSTPACED %s %ld %ld %.2f %.1f\n", name(f), M, K, host_ms * 1e3,
                                moved / (host_ms * 1e-3) / 1e9);
                    const double graph_ms = graph_median_ms(repeats, 100, [&](int i, gpuStream_t s) {
                        gpu::gemv(f, w[i % copies], act, y, M, K, 1, s);
                    });
                    std::printf("GRAPH %s %ld %ld %.2f %.1f\n", name(f), M, K, graph_ms * 1e3,
                                moved / (graph_ms * 1e-3) / 1e9);
                } else if (rows < 0) {
                    std::printf("TUNE %s %ld %ld staged %.2f %.1f\n", name(f), M, K, ms * 1e3, gbs);
                } else {
                    std::printf("TUNE %s %ld %ld rows=%d %.2f %.1f\n", name(f), M, K, rows, ms * 1e3, gbs);
                }
                std::fflush(stdout);
            }
            for (auto p : w) GPU_CHECK(gpuFree(p));
            GPU_CHECK(gpuFree(xf));
            GPU_CHECK(gpuFree(y));
            GPU_CHECK(gpuFree(act));
        }
    }
    return 0;
}
