// Block layouts bit-exact with llama.cpp (ggml/src/ggml-common.h, ggml-quants.c; QK_K = 256), shared by the
// CPU reference and the GPU kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

// Host-and-device helpers. HIP's __forceinline__ comes from its runtime headers, which this header does not need,
// so the attribute is spelled out. Bits are copied with __builtin_memcpy: memcpy is a host function to HIP's
// device compiler.
#if defined(__HIPCC__)
#define ONEBIT_HD __host__ __device__ inline __attribute__((always_inline))
#elif defined(__CUDACC__)
#define ONEBIT_HD __host__ __device__ __forceinline__
#else
#define ONEBIT_HD inline
#endif

namespace onebit {

inline constexpr int QK_K = 256;

using ggml_half = uint16_t;  // IEEE binary16 bits

// TQ2_0: 2 bits per weight. Within each 128-element half, byte qs[j+m] (m = 0..31) holds elements m + 32n
// (n = 0..3) at bit shift 2n; value = (q - 1) * d, so code 3 decodes to +2d.
struct block_tq2_0 {
    uint8_t qs[QK_K / 4];
    ggml_half d;
};
static_assert(sizeof(block_tq2_0) == 66, "TQ2_0 block must be 66 bytes");

// TQ1_0: base-3, 5 trits per qs byte (first element most significant), 4 per qh byte.
struct block_tq1_0 {
    uint8_t qs[(QK_K - 4 * QK_K / 64) / 5];
    uint8_t qh[QK_K / 64];
    ggml_half d;
};
static_assert(sizeof(block_tq1_0) == 54, "TQ1_0 block must be 54 bytes");

// Q1_0: 1 bit per weight, 128 weights per block; bit j%8 of byte j/8; 1 -> +d, 0 -> -d.
inline constexpr int QK1_0 = 128;
struct block_q1_0 {
    ggml_half d;
    uint8_t qs[QK1_0 / 8];
};
static_assert(sizeof(block_q1_0) == 18, "Q1_0 block must be 18 bytes");

enum class Format { TQ2_0, TQ1_0, Q1_0 };

inline const char* name(Format f) {
    switch (f) {
        case Format::TQ2_0: return "TQ2_0";
        case Format::TQ1_0: return "TQ1_0";
        case Format::Q1_0: return "Q1_0";
    }
    return "?";
}

// Quantized activations: 256 int8 values with one float scale (value = d * q), and the sums of q over each
// 128-element half (the weight decoders subtract them once per block). The int8 values are stored in the order
// the weight format's decoder consumes them (see act_position), so each kernel reads whole 16-byte vectors.
struct alignas(16) ActBlock {
    float d;
    int32_t sum[2];
    int32_t pad;
    int8_t qs[QK_K];
};
static_assert(sizeof(ActBlock) == 272, "ActBlock must be 272 bytes");

// Where element e (0..255, natural order) of an activation block is stored for format F.
ONEBIT_HD int act_position(Format f, int e) {
    if (f == Format::TQ2_0) {
        // unit u = qs word: half h = u / 8, bytes 4(u%8)..+3; consumes elements h*128 + 32n + m0 + k. Lane
        // sub = u / 4 of a block takes units 4sub..4sub+3; their 16-byte slots are interleaved (slot
        // (u % 4) * 4 + sub) so the four lanes of a block read 64 contiguous bytes per load.
        const int h = e / 128, r = e % 128, n = r / 32, m = r % 32;
        const int u = h * 8 + m / 4;
        return ((u % 4) * 4 + u / 4) * 16 + n * 4 + m % 4;
    }
    if (f == Format::TQ1_0) {
        // Lane sub of a block takes qs words 3sub..3sub+2 (word k*5 + n of its activations: byte j of trit n of
        // qs word 3sub + k) and qh byte sub (word 15: byte n = trit n, element 240 + 4n + sub). Each lane's 16
        // words sit in four 16-byte slots interleaved with the other lanes' (one 16-byte load each).
        int sub, word, j;
        if (e < 240) {
            const bool head = e < 160;
            const int r = head ? e : e - 160, n = head ? r / 32 : r / 16, m = head ? r % 32 : r % 16;
            const int u = head ? m / 4 : 8 + m / 4;  // qs word
            sub = u / 3;
            word = (u % 3) * 5 + n;
            j = m % 4;
        } else {
            sub = (e - 240) % 4;
            word = 15;
            j = (e - 240) / 4;
        }
        const int slot = ((word / 4) * 4 + sub) * 4 + word % 4;
        return slot * 4 + j;
    }
    // Q1_0, per 128-element weight block: unit u = qs word, byte k, bit s -> element 32u + 8k + s.
    const int h = e / 128, r = e % 128, u = r / 32, k = (r % 32) / 8, s = r % 8;
    return h * 128 + u * 32 + s * 4 + k;
}

// IEEE binary16 <-> binary32, round to nearest even (as ggml's GGML_FP32_TO_FP16).
ONEBIT_HD float half_to_float(ggml_half h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {
            int e = -1;
            do {
                e++;
                mant <<= 1;
            } while ((mant & 0x400u) == 0);
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    __builtin_memcpy(&f, &bits, 4);
    return f;
}

ONEBIT_HD ggml_half float_to_half(float f) {
    uint32_t x;
    __builtin_memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t abs = x & 0x7fffffffu;
    if (abs >= 0x7f800000u) {  // inf or nan
        return (ggml_half)(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0));
    }
    if (abs >= 0x477ff000u) {  // rounds to >= 65520: overflow
        return (ggml_half)(sign | 0x7c00u);
    }
    if (abs < 0x38800000u) {  // subnormal half or zero
        if (abs < 0x33000000u) {
            return (ggml_half)sign;
        }
        const uint32_t e = abs >> 23;
        const uint32_t m = (abs & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126 - e;  // 14..24
        uint32_t half_m = m >> shift;
        const uint32_t rem = m & ((1u << shift) - 1);
        const uint32_t mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half_m & 1u))) {
            half_m++;
        }
        return (ggml_half)(sign | half_m);
    }
    uint32_t h = ((abs >> 13) - (112u << 10));
    const uint32_t rem = abs & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) {
        h++;
    }
    return (ggml_half)(sign | h);
}

}  // namespace onebit
