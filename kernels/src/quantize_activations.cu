// float activations -> int8 ActBlocks (one float scale per 256 values), stored in the weight format's order.
// One warp per block; the same arithmetic as the CPU reference (amax, 127/amax, round half to even).
#include <stdexcept>
#include <string>

#include "onebit/kernels.hpp"
#include "onebit/port.hpp"

namespace onebit {
namespace {

constexpr int kThreads = 256;

__global__ void ONEBIT_LAUNCH_BOUNDS(kThreads)
quantize_kernel(Format f, const float* __restrict__ x, ActBlock* __restrict__ out, long blocks) {
    const int lane = threadIdx.x % kWarp;
    const long b = (long)blockIdx.x * (kThreads / kWarp) + threadIdx.x / kWarp;
    if (b >= blocks) {
        return;
    }
    const float* xb = x + b * QK_K;
    float v[QK_K / kWarp];
    float amax = 0.0f;
#pragma unroll
    for (int i = 0; i < QK_K / kWarp; i++) {
        v[i] = xb[lane + i * kWarp];
        amax = fmaxf(amax, fabsf(v[i]));
    }
#pragma unroll
    for (int o = kWarp / 2; o > 0; o /= 2) {
        amax = fmaxf(amax, shfl_xor(amax, o));
    }
    const float iscale = amax > 0.0f ? __fdiv_rn(127.0f, amax) : 0.0f;
    ActBlock& a = out[b];
    int sums[2] = {0, 0};
#pragma unroll
    for (int i = 0; i < QK_K / kWarp; i++) {
        const int e = lane + i * kWarp;
        const int q = max(-127, min(127, __float2int_rn(__fmul_rn(v[i], iscale))));
        a.qs[act_position(f, e)] = (int8_t)q;
        sums[e / 128] += q;
    }
#pragma unroll
    for (int o = kWarp / 2; o > 0; o /= 2) {
        sums[0] += shfl_xor(sums[0], o);
        sums[1] += shfl_xor(sums[1], o);
    }
    if (lane == 0) {
        a.d = __fdiv_rn(amax, 127.0f);
        a.sum[0] = sums[0];
        a.sum[1] = sums[1];
        a.pad = 0;
    }
}

}  // namespace

void gpu::quantize_activations(Format f, const float* x, ActBlock* out, long K, int n_vectors, void* stream) {
    if (K <= 0 || K % QK_K != 0) {
        throw std::invalid_argument("quantize_activations: K = " + std::to_string(K) + " is not a positive multiple of 256");
    }
    const long blocks = (K / QK_K) * n_vectors;
    const unsigned grid = (unsigned)((blocks + kThreads / kWarp - 1) / (kThreads / kWarp));
    quantize_kernel<<<grid, kThreads, 0, static_cast<gpuStream_t>(stream)>>>(f, x, out, blocks);
}

}  // namespace onebit
