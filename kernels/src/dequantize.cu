// llama.cpp blocks -> f16 in natural order; one thread per unit (32-bit word of packed weights).
#include <stdexcept>
#include <string>

#include "decode.hpp"
#include "onebit/kernels.hpp"

namespace onebit {
namespace {

constexpr int kThreads = 256;

// 32-bit words of packed weights per block: TQ2_0 16, TQ1_0 13 (12 qs + qh), Q1_0 4.
template <class F>
struct Units {
    static constexpr int value = F::kFormat == Format::TQ2_0 ? 16 : F::kFormat == Format::TQ1_0 ? 13 : 4;
};

__device__ __forceinline__ unsigned short f2h(float v) {
    return __half_as_ushort(__float2half_rn(v));
}

__device__ __forceinline__ int trit(uint32_t byte, int n) {
    const uint32_t pow3[5] = {1, 3, 9, 27, 81};
    return (int)((((byte * pow3[n]) & 0xffu) * 3u) >> 8);
}

template <class F>
__global__ void ONEBIT_LAUNCH_BOUNDS(kThreads)
dequant_kernel(const uint8_t* __restrict__ w, unsigned short* __restrict__ out, long total_units, long nb_row, long K) {
    const long t = (long)blockIdx.x * kThreads + threadIdx.x;
    if (t >= total_units) {
        return;
    }
    const long blk_index = t / Units<F>::value;  // over all rows
    const int part = (int)(t % Units<F>::value);
    const long row = blk_index / nb_row;
    const long b = blk_index % nb_row;
    const uint8_t* blk = w + blk_index * F::BYTES;
    const float d = dev::load_half(blk + F::D_OFFSET);
    const int offset = F::kFormat == Format::Q1_0 ? 2 : 0;  // qs follows d in Q1_0
    uint32_t one[1];
    dev::load_window<1>(blk + offset + 4 * part, one);
    const uint32_t word = one[0];
    unsigned short* o = out + row * K + b * F::QK;
    for (int k = 0; k < 4; k++) {
        const uint32_t byte = (word >> (8 * k)) & 0xffu;
        if constexpr (F::kFormat == Format::TQ2_0) {
            const int h = part / 8, m = 4 * (part % 8) + k;
            for (int n = 0; n < 4; n++) {
                o[h * 128 + 32 * n + m] = f2h((float)((int)((byte >> (2 * n)) & 3u) - 1) * d);
            }
        } else if constexpr (F::kFormat == Format::TQ1_0) {
            if (part < 8) {
                const int m = 4 * part + k;
                for (int n = 0; n < 5; n++) {
                    o[32 * n + m] = f2h((float)(trit(byte, n) - 1) * d);
                }
            } else if (part < 12) {
                const int m = 4 * (part - 8) + k;
                for (int n = 0; n < 5; n++) {
                    o[160 + 16 * n + m] = f2h((float)(trit(byte, n) - 1) * d);
                }
            } else {
                for (int n = 0; n < 4; n++) {
                    o[240 + 4 * n + k] = f2h((float)(trit(byte, n) - 1) * d);
                }
            }
        } else {
            for (int s = 0; s < 8; s++) {
                o[32 * part + 8 * k + s] = f2h(((byte >> s) & 1u) ? d : -d);
            }
        }
    }
}

template <class F>
void launch(const uint8_t* w, uint16_t* out, long M, long K, gpuStream_t stream) {
    const long nb_row = K / F::QK;
    const long total = M * nb_row * Units<F>::value;
    dequant_kernel<F><<<(unsigned)((total + kThreads - 1) / kThreads), kThreads, 0, stream>>>(w, out, total, nb_row, K);
}

}  // namespace

void gpu::dequantize_f16(Format f, const uint8_t* w, uint16_t* out, long M, long K, void* stream) {
    const auto s = static_cast<gpuStream_t>(stream);
    if (K <= 0 || K % QK_K != 0) {
        throw std::invalid_argument("dequantize_f16: K = " + std::to_string(K) + " is not a positive multiple of 256");
    }
    switch (f) {
        case Format::TQ2_0: launch<dev::TQ2_0>(w, out, M, K, s); break;
        case Format::TQ1_0: launch<dev::TQ1_0>(w, out, M, K, s); break;
        case Format::Q1_0: launch<dev::Q1_0>(w, out, M, K, s); break;
    }
}

}  // namespace onebit
