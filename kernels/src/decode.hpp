// Per-format device decoders. A block is cut into "units": one 32-bit word of packed weights each
// (TQ2_0: 16 units of 16 weights; TQ1_0: 12 of 20 weights + 1 of 16 (qh); Q1_0: 4 of 32).
#pragma once

#include "onebit/formats.hpp"
#include "onebit/port.hpp"

namespace onebit::dev {

// Reads 4 bytes at a 2-byte-aligned address with two aligned loads; never reads a word it does not need.
__device__ __forceinline__ uint32_t load_u32(const uint8_t* p) {
    const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
    const uint32_t* base = reinterpret_cast<const uint32_t*>(addr & ~uintptr_t(3));
    const uint32_t shift = (uint32_t)(addr & 3) * 8;
    const uint32_t lo = __ldg(base);
    return shift ? funnel_r(lo, __ldg(base + 1), shift) : lo;
}

__device__ __forceinline__ int ld_act(const int8_t* p) {
    return __ldg(reinterpret_cast<const int*>(p));
}

// Per byte of w: trit n of llama.cpp's base-3 code, ((uint8)(b * 3^n) * 3) >> 8, as 4 packed bytes.
// Two bytes at a time sit in 16-bit lanes so the products cannot carry into a neighbour.
template <int POW3>
__device__ __forceinline__ int trits(uint32_t even, uint32_t odd) {
    const uint32_t qe = ((even * POW3) & 0x00ff00ffu) * 3u;
    const uint32_t qo = ((odd * POW3) & 0x00ff00ffu) * 3u;
    return (int)(((qe >> 8) & 0x00030003u) | (qo & 0x03000300u));
}

struct TQ2_0 {
    static constexpr Format kFormat = Format::TQ2_0;
    static constexpr int QK = 256, BYTES = 66, UNITS = 16, D_OFFSET = 64;
    // Activation elements per unit, in the layout of act_position (16 bytes per unit).
    __device__ static __forceinline__ int act_offset(int part) { return part * 16; }
    __device__ static __forceinline__ uint32_t load(const uint8_t* blk, int part) { return load_u32(blk + part * 4); }
    // Sum of code * activation over the unit (codes 0..3; the block's -1 offset is subtracted separately).
    __device__ static __forceinline__ int dot(uint32_t w, const int8_t* a) {
        const int4 av = __ldg(reinterpret_cast<const int4*>(a));
        int s = dot4((int)(w & 0x03030303u), av.x, 0);
        s = dot4((int)((w >> 2) & 0x03030303u), av.y, s);
        s = dot4((int)((w >> 4) & 0x03030303u), av.z, s);
        return dot4((int)((w >> 6) & 0x03030303u), av.w, s);
    }
    // Integer value = code - 1: subtract the activation sum of the whole block once.
    __device__ static __forceinline__ int offset(const ActBlock& a, int) { return a.sum[0] + a.sum[1]; }
    static constexpr int kScale = 1;
};

struct TQ1_0 {
    static constexpr Format kFormat = Format::TQ1_0;
    static constexpr int QK = 256, BYTES = 54, UNITS = 13, D_OFFSET = 52;
    __device__ static __forceinline__ int act_offset(int part) { return part * 20; }
    __device__ static __forceinline__ uint32_t load(const uint8_t* blk, int part) { return load_u32(blk + part * 4); }
    __device__ static __forceinline__ int dot(uint32_t w, const int8_t* a, int part) {
        const uint32_t even = w & 0x00ff00ffu, odd = (w >> 8) & 0x00ff00ffu;
        int s = dot4(trits<1>(even, odd), ld_act(a), 0);
        s = dot4(trits<3>(even, odd), ld_act(a + 4), s);
        s = dot4(trits<9>(even, odd), ld_act(a + 8), s);
        s = dot4(trits<27>(even, odd), ld_act(a + 12), s);
        if (part < 12) {  // qs bytes hold a fifth trit; qh bytes hold four
            s = dot4(trits<81>(even, odd), ld_act(a + 16), s);
        }
        return s;
    }
    __device__ static __forceinline__ int offset(const ActBlock& a, int) { return a.sum[0] + a.sum[1]; }
    static constexpr int kScale = 1;
};

struct Q1_0 {
    static constexpr Format kFormat = Format::Q1_0;
    static constexpr int QK = 128, BYTES = 18, UNITS = 4, D_OFFSET = 0;
    __device__ static __forceinline__ int act_offset(int part) { return part * 32; }
    __device__ static __forceinline__ uint32_t load(const uint8_t* blk, int part) { return load_u32(blk + 2 + part * 4); }
    // Sum of bit * activation; the value is 2*bit - 1.
    __device__ static __forceinline__ int dot(uint32_t w, const int8_t* a) {
        const int4 a0 = __ldg(reinterpret_cast<const int4*>(a));
        const int4 a1 = __ldg(reinterpret_cast<const int4*>(a + 16));
        int s = dot4((int)(w & 0x01010101u), a0.x, 0);
        s = dot4((int)((w >> 1) & 0x01010101u), a0.y, s);
        s = dot4((int)((w >> 2) & 0x01010101u), a0.z, s);
        s = dot4((int)((w >> 3) & 0x01010101u), a0.w, s);
        s = dot4((int)((w >> 4) & 0x01010101u), a1.x, s);
        s = dot4((int)((w >> 5) & 0x01010101u), a1.y, s);
        s = dot4((int)((w >> 6) & 0x01010101u), a1.z, s);
        return dot4((int)((w >> 7) & 0x01010101u), a1.w, s);
    }
    __device__ static __forceinline__ int offset(const ActBlock& a, int half) { return a.sum[half]; }
    static constexpr int kScale = 2;
};

template <class F>
__device__ __forceinline__ int unit_dot(uint32_t w, const int8_t* a, int part) {
    if constexpr (F::kFormat == Format::TQ1_0) {
        return F::dot(w, a, part);
    } else {
        return F::dot(w, a);
    }
}

__device__ __forceinline__ float load_half(const uint8_t* p) {
    return half_bits_to_float(__ldg(reinterpret_cast<const unsigned short*>(p)));
}

}  // namespace onebit::dev
