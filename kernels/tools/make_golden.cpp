// Writes the golden vectors of tests/golden/ from the CPU reference:
//   make_golden DIR
// For each format: seeded inputs (tests/common.hpp), the quantized weight bytes, the dequantized values (float
// bits), the quantized activations and the double GEMV results, as text.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../tests/common.hpp"
#include "onebit/reference.hpp"

using namespace onebit;

namespace {
constexpr long kRows = 3;
constexpr long kK = 512;

void hex(FILE* out, const char* key, const uint8_t* p, size_t n) {
    std::fprintf(out, "%s", key);
    for (size_t i = 0; i < n; i++) {
        std::fprintf(out, "%s%02x", i % 32 == 0 ? "\n" : "", p[i]);
    }
    std::fprintf(out, "\n");
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_golden DIR\n");
        return 2;
    }
    for (Format f : {Format::TQ2_0, Format::TQ1_0, Format::Q1_0}) {
        const std::string path = std::string(argv[1]) + "/" + name(f) + ".txt";
        FILE* out = std::fopen(path.c_str(), "w");
        if (!out) {
            std::perror(path.c_str());
            return 1;
        }
        const auto w = testing::random_floats(1000 + (int)f, kRows * kK, 0.05f);
        const auto x = testing::random_floats(2000 + (int)f, kK, 3.0f);
        const size_t rb = ref::row_bytes(f, kK);
        std::vector<uint8_t> q(kRows * rb);
        std::vector<float> deq(kRows * kK);
        for (long r = 0; r < kRows; r++) {
            ref::quantize_row(f, w.data() + r * kK, q.data() + r * rb, kK);
            ref::dequantize_row(f, q.data() + r * rb, deq.data() + r * kK, kK);
        }
        std::vector<ActBlock> act(kK / QK_K);
        ref::quantize_activations(f, x.data(), act.data(), kK);
        const auto y = ref::gemv(f, q.data(), act.data(), kRows, kK);
        std::fprintf(out, "# %s golden vectors: rows=%ld K=%ld (tools/make_golden.cpp)\n", name(f), kRows, kK);
        hex(out, "weights", q.data(), q.size());
        hex(out, "dequantized", reinterpret_cast<const uint8_t*>(deq.data()), deq.size() * 4);
        hex(out, "activations", reinterpret_cast<const uint8_t*>(act.data()), act.size() * sizeof(ActBlock));
        std::fprintf(out, "gemv\n");
        for (double v : y) {
            std::fprintf(out, "%.17g\n", v);
        }
        std::fclose(out);
        std::printf("wrote %s\n", path.c_str());
    }
    return 0;
}
