// Deterministic inputs shared by the tests, the golden-vector tool and the benchmark.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "onebit/reference.hpp"

namespace onebit::testing {

// A 64-bit LCG (Knuth's MMIX constants): the same numbers on every machine and compiler.
struct Lcg {
    uint64_t state;
    explicit Lcg(uint64_t seed) : state(seed * 0x9E3779B97F4A7C15ull + 1) {}
    uint32_t next() {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return (uint32_t)(state >> 32);
    }
    // Uniform in [-1, 1), exactly representable.
    float uniform() { return (float)((int32_t)next() >> 8) / 8388608.0f; }
};

inline std::vector<float> random_floats(uint64_t seed, size_t n, float scale = 1.0f) {
    Lcg rng(seed);
    std::vector<float> v(n);
    for (auto& x : v) {
        x = rng.uniform() * scale;
    }
    return v;
}

// The golden-vector case of a format (tools/make_golden.cpp writes it, test_reference checks it): seeded inputs
// run through the CPU reference.
struct GoldenCase {
    static constexpr long kRows = 3, kK = 512;
    std::vector<uint8_t> weights;
    std::vector<float> dequantized;
    std::vector<ActBlock> activations;
    std::vector<double> gemv;

    explicit GoldenCase(Format f) {
        const auto w = random_floats(1000 + (int)f, kRows * kK, 0.05f);
        const auto x = random_floats(2000 + (int)f, kK, 3.0f);
        const size_t rb = ref::row_bytes(f, kK);
        weights.resize(kRows * rb);
        dequantized.resize(kRows * kK);
        for (long r = 0; r < kRows; r++) {
            ref::quantize_row(f, w.data() + r * kK, weights.data() + r * rb, kK);
            ref::dequantize_row(f, weights.data() + r * rb, dequantized.data() + r * kK, kK);
        }
        activations.resize(kK / QK_K);
        ref::quantize_activations(f, x.data(), activations.data(), kK);
        gemv = ref::gemv(f, weights.data(), activations.data(), kRows, kK);
    }
};

// Counts checks and prints the closing line "N passed, M failed".
struct Tally {
    int passed = 0;
    int failed = 0;
    void check(bool ok, const std::string& what) {
        if (ok) {
            passed++;
        } else {
            failed++;
            std::printf("FAIL: %s\n", what.c_str());
        }
    }
    int finish() const {
        std::printf("%d passed, %d failed\n", passed, failed);
        return failed == 0 ? 0 : 1;
    }
};

}  // namespace onebit::testing
