// Per-format device decoders. Each lane of a warp takes a contiguous window of one block (TQ2_0, TQ1_0: four
// lanes per block; Q1_0: one), so per-block work (scales, offsets, the double-precision scaling) is done once per lane and block, a
// warp iteration reads a contiguous run of blocks, and a warp can serve several rows with one activation load.
#pragma once

#include "onebit/formats.hpp"
#include "onebit/port.hpp"

namespace onebit::dev {

// NW + 1 aligned words from base, shifted right by `shift` bits across word boundaries: the NW words of a window
// that starts `shift / 8` bytes into base[0].
template <int NW>
__device__ __forceinline__ void funnel_window(const uint32_t* base, uint32_t shift, uint32_t (&w)[NW]) {
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

// NW little-endian words starting at a 2-byte-aligned address: NW + 1 aligned loads and funnel shifts. The extra
// word shares its first bytes with the window, so it lies inside the allocation.
template <int NW>
__device__ __forceinline__ void load_window(const uint8_t* p, uint32_t (&w)[NW]) {
    const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
    funnel_window(reinterpret_cast<const uint32_t*>(addr & ~uintptr_t(3)), (uint32_t)(addr & 3) * 8, w);
}

// The same from a 4-byte-aligned base and a byte offset: no integer round trip of the address, so loads from a
// shared-memory base stay shared-memory loads.
template <int NW>
__device__ __forceinline__ void load_window_at(const uint8_t* base4, size_t off, uint32_t (&w)[NW]) {
    funnel_window(reinterpret_cast<const uint32_t*>(base4) + (off >> 2), (uint32_t)(off & 3) * 8, w);
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
    uint32_t te = w & 0x00ff00ffu;         // bytes 0 and 2 of w in 16-bit lanes
    uint32_t to = (w >> 8) & 0x00ff00ffu;  // bytes 1 and 3
    uint32_t prev = 0;                      // P_0
#pragma unroll
    for (int n = 0; n < TRITS; n++) {
        // te's products as shift-and-add on the integer ALU, to's as multiplies, so the multiply-add pipe (which
        // also runs every dp4a) does not take them all (measured equal to all multiplies on an H200).
        te = times3_alu(te);
        to *= 3u;
        const uint32_t p = __byte_perm(te, to, 0x7351);  // P_{n+1}: byte i = H_{n+1} of byte i of w
        s = dot4((int)(p - 3u * prev), a[n], s);
        prev = p;
    }
    return s;
}

// Each format: load(blk, sub, w) reads the lane's weights from a block (load_at: the same from a 4-byte-aligned
// base and an offset, for shared memory); load_act(a, within, sub, x) reads the
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
    __device__ static __forceinline__ void load(const uint8_t* blk, int sub, uint32_t (&w)[4]) {
        load_window<4>(blk + 16 * sub, w);
    }
    __device__ static __forceinline__ void load_at(const uint8_t* base4, uint32_t off, int sub, uint32_t (&w)[4]) {
        load_window_at<4>(base4, off + 16 * sub, w);
    }
    __device__ static __forceinline__ void load_act(const ActBlock& a, int within, int sub, Act& x) {
        const int4* av = reinterpret_cast<const int4*>(a.qs + within + 16 * sub);
#pragma unroll
        for (int u = 0; u < 4; u++) {
            x.x[u] = __ldg(av + 4 * u);  // interleaved slots, see act_position
        }
        x.offset = sub == 0 ? -(__ldg(&a.sum[0]) + __ldg(&a.sum[1])) : 0;
    }
    // Four independent accumulators, one per code position n; positions 0..2 are masked in place (bytes
    // code * 4^n, at most 48), so accumulator n holds 4^n times its sum, divided out exactly at the end.
    __device__ static __forceinline__ int dot(const uint32_t (&w)[4], const Act& x) {
        int s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma unroll
        for (int u = 0; u < 4; u++) {
            s0 = dot4((int)(w[u] & 0x03030303u), x.x[u].x, s0);
            s1 = dot4((int)(w[u] & 0x0c0c0c0cu), x.x[u].y, s1);
            s2 = dot4((int)(w[u] & 0x30303030u), x.x[u].z, s2);
            s3 = dot4((int)((w[u] >> 6) & 0x03030303u), x.x[u].w, s3);
        }
        return x.offset + s0 + (s1 >> 2) + (s2 >> 4) + s3;
    }
};

struct TQ1_0 {
    static constexpr Format kFormat = Format::TQ1_0;
    static constexpr int QK = 256, BYTES = 54, D_OFFSET = 52, LANES = 4;
    // Lane sub takes qs words 3sub..3sub+2 (60 weights, five trits per byte) and qh byte sub (elements 240 + 4n
    // + sub, four trits): every lane does the same work. w[3] holds the qh byte.
    struct Act {
        int x[16];
        int offset;
    };
    __device__ static __forceinline__ void load(const uint8_t* blk, int sub, uint32_t (&w)[4]) {
        uint32_t q[3];
        load_window<3>(blk + 12 * sub, q);
        w[0] = q[0], w[1] = q[1], w[2] = q[2];
        w[3] = blk[48 + sub];
    }
    __device__ static __forceinline__ void load_at(const uint8_t* base4, uint32_t off, int sub, uint32_t (&w)[4]) {
        uint32_t q[3];
        load_window_at<3>(base4, off + 12 * sub, q);
        w[0] = q[0], w[1] = q[1], w[2] = q[2];
        w[3] = base4[off + 48 + sub];
    }
    // Activation words as act_position lays them out: four interleaved 16-byte slots per lane.
    __device__ static __forceinline__ void load_act(const ActBlock& a, int within, int sub, Act& x) {
        const int4* av = reinterpret_cast<const int4*>(a.qs + within) + sub;
#pragma unroll
        for (int q = 0; q < 4; q++) {
            const int4 v = __ldg(av + 4 * q);
            x.x[4 * q] = v.x;
            x.x[4 * q + 1] = v.y;
            x.x[4 * q + 2] = v.z;
            x.x[4 * q + 3] = v.w;
        }
        x.offset = sub == 0 ? -(__ldg(&a.sum[0]) + __ldg(&a.sum[1])) : 0;
    }
    // The four trits of one qh byte b: H_n = (b * 3^n) >> 8 for n = 1..4 from two multiplies in 16-bit lanes,
    // gathered into P = [H1, H2, H3, H4]; the trits are P - 3 * (P << 8) (H_0 = 0), packed as in trit_dot.
    __device__ static __forceinline__ int qh_dot(uint32_t b, int a, int s) {
        const uint32_t x = b * (3u | (9u << 16)), y = b * (27u | (81u << 16));
        const uint32_t p = __byte_perm(x, y, 0x7531);
        return dot4((int)(p - 3u * (p << 8)), a, s);
    }
    __device__ static __forceinline__ int dot(const uint32_t (&w)[4], const Act& x) {
        // One accumulator per word, so the words' dp4a chains overlap.
        const int s0 = trit_dot<5>(w[0], x.x, x.offset);
        const int s1 = trit_dot<5>(w[1], x.x + 5, 0);
        const int s2 = trit_dot<5>(w[2], x.x + 10, 0);
        const int s3 = qh_dot(w[3], x.x[15], 0);
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
    __device__ static __forceinline__ void load(const uint8_t* blk, int, uint32_t (&w)[4]) {
        load_window<4>(blk + 2, w);
    }
    __device__ static __forceinline__ void load_at(const uint8_t* base4, uint32_t off, int, uint32_t (&w)[4]) {
        load_window_at<4>(base4, off + 2, w);
    }
    __device__ static __forceinline__ void load_act(const ActBlock& a, int within, int, Act& x) {
        const int4* av = reinterpret_cast<const int4*>(a.qs + within);
#pragma unroll
        for (int u = 0; u < 8; u++) {
            x.x[u] = __ldg(av + u);
        }
        x.offset = -__ldg(&a.sum[within / 128]);
    }
    // Codes are masked in place instead of shifted down: bit k of w (k < 4) and bit k of w >> 4 (bit k + 4 of w)
    // are bytes 0 or 2^k, so accumulator k holds 2^k times its sum, divided out exactly at the end. One shift per
    // word instead of seven, four independent dp4a chains.
    __device__ static __forceinline__ int dot(const uint32_t (&w)[4], const Act& x) {
        int s[4] = {0, 0, 0, 0};
#pragma unroll
        for (int u = 0; u < 4; u++) {
            const int4 lo = x.x[2 * u], hi = x.x[2 * u + 1];
            const uint32_t w4 = w[u] >> 4;
            s[0] = dot4((int)(w[u] & 0x01010101u), lo.x, s[0]);
            s[1] = dot4((int)(w[u] & 0x02020202u), lo.y, s[1]);
            s[2] = dot4((int)(w[u] & 0x04040404u), lo.z, s[2]);
            s[3] = dot4((int)(w[u] & 0x08080808u), lo.w, s[3]);
            s[0] = dot4((int)(w4 & 0x01010101u), hi.x, s[0]);
            s[1] = dot4((int)(w4 & 0x02020202u), hi.y, s[1]);
            s[2] = dot4((int)(w4 & 0x04040404u), hi.z, s[2]);
            s[3] = dot4((int)(w4 & 0x08080808u), hi.w, s[3]);
        }
        const int t = s[0] + (s[1] >> 1) + (s[2] >> 2) + (s[3] >> 3);
        return 2 * t + x.offset;
    }
};

}  // namespace onebit::dev
