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
constexpr long kRows = testing::GoldenCase::kRows;
constexpr long kK = testing::GoldenCase::kK;

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
        const testing::GoldenCase g(f);
        const auto& q = g.weights;
        const auto& deq = g.dequantized;
        const auto& act = g.activations;
        const auto& y = g.gemv;
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
