// Per-format device decoders. Each lane of a warp takes a contiguous window of one block (TQ2_0, TQ1_0: four
// lanes per block; Q1_0: one), so per-block work (scales, offsets, the double-precision scaling) is done once per lane and block, a
// warp iteration reads a contiguous run of blocks, and a warp can serve several rows with one activation load.
#pragma once

#include "onebit/formats.hpp"
#include "onebit/port.hpp"

namespace onebit::dev {

// NW little-endian words starting at a 2-byte-aligned address: NW + 1 aligned loads and funnel shifts. The extra
// word shares its first bytes with the window, so it lies inside the allocation.
template <int NW>
__device__ __forceinline__ void load_window(const uint8_t* p, uint32_t (&w)[NW]) {
    const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
    const uint32_t* base = reinterpret_cast<const uint32_t*>(addr & ~uintptr_t(3));
    const uint32_t shift = (uint32_t)(addr & 3) * 8;
    uint32_t raw[NW + 1];
#pragma unroll
    for (int i = 0; i <= NW; i++) {
        raw[i] = base[i];
    }
#pragma unroll
    for (int i = 0; i < NW; i++) {
        w[i] = funnel_r(raw[i], raw[i + 1], shift);
    }
}

// The same from a 4-byte-aligned base and a byte offset: no integer round trip of the address, so loads from a
// shared-memory base stay shared-memory loads.
template <int NW>
__device__ __forceinline__ void load_window_at(const uint8_t* base4, size_t off, uint32_t (&w)[NW]) {
    const uint32_t* base = reinterpret_cast<const uint32_t*>(base4) + (off >> 2);
    const uint32_t shift = (uint32_t)(off & 3) * 8;
    uint32_t raw[NW + 1];
#pragma unroll
    for (int i = 0; i <= NW; i++) {
        raw[i] = base[i];
    }
#pragma unroll
    for (int i = 0; i < NW; i++) {
        w[i] = funnel_r(raw[i], raw[i + 1], shift);
    }
}

__device__ __forceinline__ int ld_act(const int8_t* p) {
    return __ldg(reinterpret_cast<const int*>(p));
}

__device__ __forceinline__ float load_half(const uint8_t* p) {
    return half_bits_to_float(*reinterpret_cast<const unsigned short*>(p));
}

// Dot product of the 5 (or 4) trits of each byte of w with 5 (or 4) activation words. llama.cpp decodes trit n of
// byte b as q = (uint8)(b * 3^n), trit = (q * 3) >> 8. With H_n = (b * 3^n) >> 8 that is trit = H_{n+1} - 3 H_n
// (H_0 = 0). b * 3^n <= 255 * 243 fits a 16-bit lane, so two bytes at a time are multiplied in 16-bit lanes
// without carries; the H_n of four bytes are gathered into one word P_n, and P_{n+1} - 3 P_n, computed on whole
// words, is exactly the packed trits (every byte's difference is 0..2, so nothing borrows).
template <int TRITS>
__device__ __forceinline__ int trit_dot(uint32_t w, const int* a, int s) {
#ifdef ONEBIT_TRIT_MASKED
    uint32_t qe = w & 0x00ff00ffu;
    uint32_t qo = (w >> 8) & 0x00ff00ffu;
#pragma unroll
    for (int n = 0; n < TRITS; n++) {
        const uint32_t te = qe * 3u, to = qo * 3u;
        const uint32_t codes = __byte_perm(te, to, 0x7351);
        s = dot4((int)codes, a[n], s);
        qe = te & 0x00ff00ffu;
        qo = to & 0x00ff00ffu;
    }
    return s;
#else
    uint32_t te = w & 0x00ff00ffu;         // bytes 0 and 2 of w in 16-bit lanes
    uint32_t to = (w >> 8) & 0x00ff00ffu;  // bytes 1 and 3
    uint32_t prev = 0;                      // P_0
#pragma unroll
    for (int n = 0; n < TRITS; n++) {
        te *= 3u;
        to *= 3u;
        const uint32_t p = __byte_perm(te, to, 0x7351);  // P_{n+1}: byte i = H_{n+1} of byte i of w
        s = dot4((int)(p - 3u * prev), a[n], s);
        prev = p;
    }
    return s;
#endif
}

// Each format: window(sub) is where the lane's 16-byte window of weights starts in a block; load_act(a, within, sub, x) reads the
// matching activations once (they are reused for every row the warp handles); dot(w, x) is the lane's integer
// sum of weight value * activation, the block offset included.
struct TQ2_0 {
    static constexpr Format kFormat = Format::TQ2_0;
    static constexpr int QK = 256, BYTES = 66, D_OFFSET = 64, LANES = 4;
    // Lane `sub` takes qs words 4sub..4sub+3 (64 weights); integer values are code - 1, so the block's
    // activation sum is subtracted once (by sub 0).
    struct Act {
        int4 x[4];
        int offset;
    };
    __device__ static __forceinline__ int window(int sub) { return 16 * sub; }
    __device__ static __forceinline__ void load_act(const ActBlock& a, int within, int sub, Act& x) {
        const int4* av = reinterpret_cast<const int4*>(a.qs + within + 16 * sub);
#pragma unroll
        for (int u = 0; u < 4; u++) {
            x.x[u] = __ldg(av + 4 * u);  // interleaved slots, see act_position
        }
        x.offset = sub == 0 ? -(__ldg(&a.sum[0]) + __ldg(&a.sum[1])) : 0;
    }
    // Four independent accumulators (one per shift), so the dp4a latencies overlap.
    __device__ static __forceinline__ int dot(const uint32_t (&w)[4], const Act& x) {
        int s0 = x.offset, s1 = 0, s2 = 0, s3 = 0;
#pragma unroll
        for (int u = 0; u < 4; u++) {
            s0 = dot4((int)(w[u] & 0x03030303u), x.x[u].x, s0);
            s1 = dot4((int)((w[u] >> 2) & 0x03030303u), x.x[u].y, s1);
            s2 = dot4((int)((w[u] >> 4) & 0x03030303u), x.x[u].z, s2);
            s3 = dot4((int)((w[u] >> 6) & 0x03030303u), x.x[u].w, s3);
        }
        return (s0 + s1) + (s2 + s3);
    }
};

struct TQ1_0 {
    static constexpr Format kFormat = Format::TQ1_0;
    static constexpr int QK = 256, BYTES = 54, D_OFFSET = 52, LANES = 4;
    // Lanes 0..2 take qs words 3sub..3sub+2 (60 weights); lane 3 takes qs words 9..11 and the qh word (76).
    struct Act {
        int x[19];
        int offset;
    };
    __device__ static __forceinline__ int window(int sub) { return 12 * sub; }
    // Activation words as act_position lays them out: four interleaved 16-byte slots per lane, and lane 3's
    // last three words in the spare words of lanes 0..2.
    __device__ static __forceinline__ void load_act(const ActBlock& a, int within, int sub, Act& x) {
        const int4* av = reinterpret_cast<const int4*>(a.qs + within) + sub;
#pragma unroll
        for (int q = 0; q < 4; q++) {
            const int4 v = __ldg(av + 4 * q);
            x.x[4 * q] = v.x;
            x.x[4 * q + 1] = v.y;
            x.x[4 * q + 2] = v.z;
            if (q < 3) {
                x.x[4 * q + 3] = v.w;
            } else {
                x.x[15] = sub == 3 ? v.w : 0;
            }
        }
        const int* spare = reinterpret_cast<const int*>(a.qs + within);
#pragma unroll
        for (int t = 0; t < 3; t++) {
            x.x[16 + t] = sub == 3 ? __ldg(spare + 51 + 4 * t) : 0;
        }
        x.offset = sub == 0 ? -(__ldg(&a.sum[0]) + __ldg(&a.sum[1])) : 0;
    }
    __device__ static __forceinline__ int dot(const uint32_t (&w)[4], const Act& x) {
        // One accumulator per word, so the words' dp4a chains overlap. Lanes 0..2 have zero activations for
        // the fourth word, so it adds nothing for them.
        const int s0 = trit_dot<5>(w[0], x.x, x.offset);
        const int s1 = trit_dot<5>(w[1], x.x + 5, 0);
        const int s2 = trit_dot<5>(w[2], x.x + 10, 0);
        const int s3 = trit_dot<4>(w[3], x.x + 15, 0);
        return (s0 + s1) + (s2 + s3);
    }
};

struct Q1_0 {
    static constexpr Format kFormat = Format::Q1_0;
    static constexpr int QK = 128, BYTES = 18, D_OFFSET = 0, LANES = 1;
    // One lane per block: 4 qs words; value = 2 * bit - 1.
    struct Act {
        int4 x[8];
        int offset;
    };
    __device__ static __forceinline__ int window(int) { return 2; }
    __device__ static __forceinline__ void load_act(const ActBlock& a, int within, int, Act& x) {
        const int4* av = reinterpret_cast<const int4*>(a.qs + within);
#pragma unroll
        for (int u = 0; u < 8; u++) {
            x.x[u] = __ldg(av + u);
        }
        x.offset = -__ldg(&a.sum[within / 128]);
    }
    // One accumulator per bit position k: the code is masked in place (bytes 0 or 2^k) instead of shifted down,
    // so each accumulator holds 2^k times its sum, divided out exactly at the end; eight independent chains.
    // Bit 7 is shifted down first (a byte 0x80 would be -128 to the signed dp4a).
    __device__ static __forceinline__ int dot(const uint32_t (&w)[4], const Act& x) {
        int s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
#pragma unroll
        for (int u = 0; u < 4; u++) {
            const int xs[8] = {x.x[2 * u].x,     x.x[2 * u].y,     x.x[2 * u].z,     x.x[2 * u].w,
                               x.x[2 * u + 1].x, x.x[2 * u + 1].y, x.x[2 * u + 1].z, x.x[2 * u + 1].w};
#pragma unroll
            for (int k = 0; k < 7; k++) {
                s[k] = dot4((int)(w[u] & (0x01010101u << k)), xs[k], s[k]);
            }
            s[7] = dot4((int)((w[u] >> 7) & 0x01010101u), xs[7], s[7]);
        }
        int t = s[7];
#pragma unroll
        for (int k = 0; k < 7; k++) {
            t += s[k] >> k;
        }
        return 2 * t + x.offset;
    }
};

}  // namespace onebit::dev
