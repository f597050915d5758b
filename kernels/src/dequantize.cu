// llama.cpp blocks -> f16, bf16 or f32 in natural order; one thread per unit (32-bit word of packed weights).
#include <stdexcept>
#include <string>
#include <type_traits>

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

// The output element: f16 bits, bf16 bits (round to nearest even; weights are finite) or f32.
enum class Out { F16, BF16, F32 };

template <Out O>
using out_t = std::conditional_t<O == Out::F32, float, unsigned short>;

template <Out O>
__device__ __forceinline__ out_t<O> store(float v) {
    if constexpr (O == Out::F16) {
        return __half_as_ushort(__float2half_rn(v));
    } else if constexpr (O == Out::BF16) {
        const uint32_t bits = __float_as_uint(v);
        return (unsigned short)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
    } else {
        return v;
    }
}

__device__ __forceinline__ int trit(uint32_t byte, int n) {
    const uint32_t pow3[5] = {1, 3, 9, 27, 81};
    return (int)((((byte * pow3[n]) & 0xffu) * 3u) >> 8);
}

template <class F, Out O>
__global__ void ONEBIT_LAUNCH_BOUNDS(kThreads)
dequant_kernel(const uint8_t* __restrict__ w, out_t<O>* __restrict__ out, long total_units, long nb_row, long K) {
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
    out_t<O>* o = out + row * K + b * F::QK;
    for (int k = 0; k < 4; k++) {
        const uint32_t byte = (word >> (8 * k)) & 0xffu;
        if constexpr (F::kFormat == Format::TQ2_0) {
            const int h = part / 8, m = 4 * (part % 8) + k;
            for (int n = 0; n < 4; n++) {
                o[h * 128 + 32 * n + m] = store<O>((float)((int)((byte >> (2 * n)) & 3u) - 1) * d);
            }
        } else if constexpr (F::kFormat == Format::TQ1_0) {
            if (part < 8) {
                const int m = 4 * part + k;
                for (int n = 0; n < 5; n++) {
                    o[32 * n + m] = store<O>((float)(trit(byte, n) - 1) * d);
                }
            } else if (part < 12) {
                const int m = 4 * (part - 8) + k;
                for (int n = 0; n < 5; n++) {
                    o[160 + 16 * n + m] = store<O>((float)(trit(byte, n) - 1) * d);
                }
            } else {
                for (int n = 0; n < 4; n++) {
                    o[240 + 4 * n + k] = store<O>((float)(trit(byte, n) - 1) * d);
                }
            }
        } else {
            for (int s = 0; s < 8; s++) {
                o[32 * part + 8 * k + s] = store<O>(((byte >> s) & 1u) ? d : -d);
            }
        }
    }
}

template <class F, Out O>
void launch(const uint8_t* w, out_t<O>* out, long M, long K, gpuStream_t stream) {
    const long nb_row = K / F::QK;
    const long total = M * nb_row * Units<F>::value;
    if (total == 0) {
        return;
    }
    dequant_kernel<F, O><<<(unsigned)((total + kThreads - 1) / kThreads), kThreads, 0, stream>>>(w, out, total, nb_row, K);
}

template <Out O>
void dequantize(const char* op, Format f, const uint8_t* w, out_t<O>* out, long M, long K, void* stream) {
    const auto s = static_cast<gpuStream_t>(stream);
    if (K <= 0 || K % QK_K != 0) {
        throw std::invalid_argument(std::string(op) + ": K = " + std::to_string(K) + " is not a positive multiple of 256");
    }
    switch (f) {
        case Format::TQ2_0: launch<dev::TQ2_0, O>(w, out, M, K, s); break;
        case Format::TQ1_0: launch<dev::TQ1_0, O>(w, out, M, K, s); break;
        case Format::Q1_0: launch<dev::Q1_0, O>(w, out, M, K, s); break;
    }
}

}  // namespace

void gpu::dequantize_f16(Format f, const uint8_t* w, uint16_t* out, long M, long K, void* stream) {
    dequantize<Out::F16>("dequantize_f16", f, w, out, M, K, stream);
}

void gpu::dequantize_bf16(Format f, const uint8_t* w, uint16_t* out, long M, long K, void* stream) {
    dequantize<Out::BF16>("dequantize_bf16", f, w, out, M, K, stream);
}

void gpu::dequantize_f32(Format f, const uint8_t* w, float* out, long M, long K, void* stream) {
    dequantize<Out::F32>("dequantize_f32", f, w, out, M, K, stream);
}

}  // namespace onebit
