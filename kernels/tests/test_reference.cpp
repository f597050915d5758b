// CPU reference tests: the block layouts built by hand from the format descriptions, round trips, edge cases,
// activation layout, and the checked-in golden vectors.
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "onebit/reference.hpp"

using namespace onebit;
using onebit::testing::Tally;

namespace {

Tally t;

// Ternary pattern: element e of block i gets -1, 0 or +1 from a fixed mixing function.
int tern(long e) {
    return (int)((e * 7 + e / 5) % 3) - 1;
}

void tq2_0_layout() {
    std::vector<float> x(512);
    for (long e = 0; e < 512; e++) {
        x[e] = 0.5f * (float)tern(e);
    }
    std::vector<uint8_t> q(ref::row_bytes(Format::TQ2_0, 512));
    ref::quantize_row(Format::TQ2_0, x.data(), q.data(), 512);
    bool ok = true;
    for (long b = 0; b < 2; b++) {
        const auto& blk = reinterpret_cast<const block_tq2_0*>(q.data())[b];
        ok &= blk.d == float_to_half(0.5f);
        // Within each 128-element half, byte qs[j+m] holds elements m + 32n at shift 2n, as q = value + 1.
        for (int h = 0; h < 2; h++) {
            for (int m = 0; m < 32; m++) {
                uint8_t expect = 0;
                for (int n = 0; n < 4; n++) {
                    expect |= (uint8_t)((tern(b * 256 + h * 128 + m + 32 * n) + 1) << (2 * n));
                }
                ok &= blk.qs[h * 32 + m] == expect;
            }
        }
    }
    t.check(ok, "TQ2_0 bytes follow the llama.cpp element order");
    std::vector<float> back(512);
    ref::dequantize_row(Format::TQ2_0, q.data(), back.data(), 512);
    t.check(back == x, "TQ2_0 ternary values round-trip exactly");

    // Code 3 decodes to +2d.
    block_tq2_0 blk{};
    std::memset(blk.qs, 0xff, sizeof(blk.qs));
    blk.d = float_to_half(0.25f);
    std::vector<float> y(256);
    ref::dequantize_row(Format::TQ2_0, reinterpret_cast<const uint8_t*>(&blk), y.data(), 256);
    bool all = true;
    for (float v : y) {
        all &= v == 0.5f;
    }
    t.check(all, "TQ2_0 code 3 decodes to +2d");
}

// ceil(v * 256 / 243) of the 5-trit number whose first trit is the most significant.
uint8_t tq1_byte(const int* trits, int count) {
    int v = 0;
    for (int n = 0; n < count; n++) {
        v = v * 3 + trits[n] + 1;
    }
    for (int n = count; n < 5; n++) {
        v *= 3;
    }
    return (uint8_t)((v * 256 + 242) / 243);
}

void tq1_0_layout() {
    std::vector<float> x(256);
    for (long e = 0; e < 256; e++) {
        x[e] = -1.5f * (float)tern(e);
    }
    block_tq1_0 blk;
    ref::quantize_row(Format::TQ1_0, x.data(), reinterpret_cast<uint8_t*>(&blk), 256);
    auto value = [&](long e) { return -tern(e); };  // x / d with d = 1.5
    bool ok = blk.d == float_to_half(1.5f);
    for (int m = 0; m < 32; m++) {  // qs[0..31]: elements m + 32n
        int tr[5];
        for (int n = 0; n < 5; n++) tr[n] = value(m + 32 * n);
        ok &= blk.qs[m] == tq1_byte(tr, 5);
    }
    for (int m = 0; m < 16; m++) {  // qs[32..47]: elements 160 + m + 16n
        int tr[5];
        for (int n = 0; n < 5; n++) tr[n] = value(160 + m + 16 * n);
        ok &= blk.qs[32 + m] == tq1_byte(tr, 5);
    }
    for (int j = 0; j < 4; j++) {  // qh[j]: elements 240 + 4n + j, 4 trits
        int tr[4];
        for (int n = 0; n < 4; n++) tr[n] = value(240 + 4 * n + j);
        ok &= blk.qh[j] == tq1_byte(tr, 4);
    }
    t.check(ok, "TQ1_0 bytes follow the llama.cpp base-3 encoding and element order");
    std::vector<float> back(256);
    ref::dequantize_row(Format::TQ1_0, reinterpret_cast<const uint8_t*>(&blk), back.data(), 256);
    t.check(back == x, "TQ1_0 ternary values round-trip exactly");

    // Every byte value decodes by q = (uint8_t)(b * 3^n); x = (q * 3) >> 8, including bytes >= 243.
    block_tq1_0 all{};
    all.d = float_to_half(1.0f);
    bool decode_ok = true;
    for (int b = 0; b < 256; b++) {
        std::memset(all.qs, b, sizeof(all.qs));
        std::memset(all.qh, b, sizeof(all.qh));
        std::vector<int8_t> v(256);
        std::vector<float> d(1);
        ref::decode_row(Format::TQ1_0, reinterpret_cast<const uint8_t*>(&all), v.data(), d.data(), 256);
        const int pow3[5] = {1, 3, 9, 27, 81};
        for (int n = 0; n < 5; n++) {
            const int expect = ((((b * pow3[n]) & 0xff) * 3) >> 8) - 1;
            decode_ok &= v[32 * n] == expect && v[160 + 16 * n] == expect;
            if (n < 4) {
                decode_ok &= v[240 + 4 * n] == expect;
            }
        }
    }
    t.check(decode_ok, "TQ1_0 decodes every byte value (0..255) by the llama.cpp formula");
    // Byte 255 is not produced by the quantizer; the formula decodes it to trits 2,2,2,2,2 -> +1 everywhere.
    t.check(((((255 * 81) & 0xff) * 3) >> 8) == 2, "TQ1_0 byte 255 trit 4 decodes to 2");
}

void q1_0_layout() {
    std::vector<float> x(256);
    for (long e = 0; e < 256; e++) {
        x[e] = (tern(e) >= 0 ? 1.0f : -1.0f) * 0.75f;
    }
    std::vector<uint8_t> q(ref::row_bytes(Format::Q1_0, 256));
    ref::quantize_row(Format::Q1_0, x.data(), q.data(), 256);
    bool ok = ref::row_bytes(Format::Q1_0, 256) == 36;
    for (int b = 0; b < 2; b++) {
        const auto& blk = reinterpret_cast<const block_q1_0*>(q.data())[b];
        ok &= blk.d == float_to_half(0.75f);
        for (int j = 0; j < 128; j++) {
            ok &= ((blk.qs[j / 8] >> (j % 8)) & 1) == (x[b * 128 + j] >= 0 ? 1 : 0);
        }
    }
    t.check(ok, "Q1_0 bit j%8 of byte j/8 is the sign, d = mean |x|");
    std::vector<float> back(256);
    ref::dequantize_row(Format::Q1_0, q.data(), back.data(), 256);
    t.check(back == x, "Q1_0 +-d values round-trip exactly");
}

void edge_cases() {
    for (Format f : {Format::TQ2_0, Format::TQ1_0, Format::Q1_0}) {
        bool threw = false;
        try {
            ref::row_bytes(f, 300);
        } catch (const std::invalid_argument&) {
            threw = true;
        }
        t.check(threw, std::string(name(f)) + ": K = 300 is rejected");
        threw = false;
        try {
            std::vector<float> x(128);
            std::vector<uint8_t> q(64);
            ref::quantize_row(f, x.data(), q.data(), 128);
        } catch (const std::invalid_argument&) {
            threw = true;
        }
        t.check(threw, std::string(name(f)) + ": K = 128 is rejected (QK_K = 256)");

        // d = 0: an all-zero block decodes to zeros and gives a zero dot product.
        std::vector<float> zeros(256, 0.0f);
        std::vector<uint8_t> q(ref::row_bytes(f, 256));
        ref::quantize_row(f, zeros.data(), q.data(), 256);
        std::vector<float> back(256, 1.0f);
        ref::dequantize_row(f, q.data(), back.data(), 256);
        bool zero = true;
        for (float v : back) zero &= v == 0.0f;
        t.check(zero, std::string(name(f)) + ": d = 0 decodes to zeros");
        std::vector<ActBlock> act(1);
        const auto xs = onebit::testing::random_floats(5, 256);
        ref::quantize_activations(f, xs.data(), act.data(), 256);
        t.check(ref::gemv(f, q.data(), act.data(), 1, 256)[0] == 0.0, std::string(name(f)) + ": d = 0 gives 0");

        // The activation layout is a permutation of 0..255.
        std::set<int> seen;
        for (int e = 0; e < 256; e++) seen.insert(act_position(f, e));
        t.check(seen.size() == 256 && *seen.begin() == 0 && *seen.rbegin() == 255,
                std::string(name(f)) + ": act_position is a permutation");
    }
    // Activation quantization: within half a step, sums per half, zero vector stays zero.
    const auto xs = onebit::testing::random_floats(9, 512, 4.0f);
    std::vector<ActBlock> act(2);
    ref::quantize_activations(Format::TQ2_0, xs.data(), act.data(), 512);
    bool close = true;
    int s0 = 0;
    for (long e = 0; e < 512; e++) {
        const int8_t q = ref::activation_at(Format::TQ2_0, act.data(), e);
        close &= std::fabs(q * act[e / 256].d - xs[e]) <= act[e / 256].d * 0.5f + 1e-6f;
        if (e < 128) s0 += q;
    }
    t.check(close, "activations quantize to within half a step");
    t.check(act[0].sum[0] == s0, "activation block sums cover each 128-element half");
}

std::vector<uint8_t> read_hex(std::istream& in, size_t n) {
    std::vector<uint8_t> out;
    std::string line;
    while (out.size() < n && std::getline(in, line)) {
        for (size_t i = 0; i + 1 < line.size(); i += 2) {
            out.push_back((uint8_t)std::stoul(line.substr(i, 2), nullptr, 16));
        }
    }
    return out;
}

void golden() {
    for (Format f : {Format::TQ2_0, Format::TQ1_0, Format::Q1_0}) {
        const std::string path = std::string(ONEBIT_GOLDEN_DIR) + "/" + name(f) + ".txt";
        std::ifstream in(path);
        if (!in) {
            t.check(false, "golden file " + path + " is missing (run make_golden)");
            continue;
        }
        const onebit::testing::GoldenCase g(f);
        const long rows = g.kRows;
        const auto& q = g.weights;
        const auto& deq = g.dequantized;
        const auto& act = g.activations;
        const auto& y = g.gemv;

        std::string line;
        std::getline(in, line);  // comment
        std::getline(in, line);  // "weights"
        t.check(read_hex(in, q.size()) == q, std::string(name(f)) + ": golden weight bytes");
        std::getline(in, line);  // "dequantized"
        const auto dq = read_hex(in, deq.size() * 4);
        t.check(dq.size() == deq.size() * 4 && std::memcmp(dq.data(), deq.data(), dq.size()) == 0,
                std::string(name(f)) + ": golden dequantized values");
        std::getline(in, line);  // "activations"
        const auto ab = read_hex(in, act.size() * sizeof(ActBlock));
        t.check(ab.size() == act.size() * sizeof(ActBlock) && std::memcmp(ab.data(), act.data(), ab.size()) == 0,
                std::string(name(f)) + ": golden activations");
        std::getline(in, line);  // "gemv"
        bool same = true;
        for (long r = 0; r < rows; r++) {
            std::getline(in, line);
            same &= std::stod(line) == y[r];
        }
        t.check(same, std::string(name(f)) + ": golden GEMV results");
    }
}

}  // namespace

int main() {
    tq2_0_layout();
    tq1_0_layout();
    q1_0_layout();
    edge_cases();
    golden();
    return t.finish();
}
