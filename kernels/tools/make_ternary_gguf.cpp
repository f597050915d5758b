// Writes a llama-architecture GGUF test model whose linear weights are ternary (w = t * s, t in {-1, 0, +1}, one
// scale s per tensor), stored as TQ2_0 or TQ1_0, or the same weights as Q4_0, Q8_0 or F16 for comparison. No model
// is downloaded or committed: the benchmark writes these on the machine that runs it.
//
//   make_ternary_gguf --size tiny|8b|70b --type tq2_0|tq1_0|q4_0|q8_0|f16 --out FILE [--seed N]
//
// Sizes: 8b = 4096 hidden, 32 layers, 14336 FFN, 32 heads (8 KV heads); 70b = 8192, 80, 28672, 64 (8); tiny =
// 256, 2, 768, 4 (2), for checks on a CPU. Vocabulary 32000 (tiny: 512) of made-up tokens. The token embedding is
// F16 and the output head Q8_0 in every variant, so the variants differ only in the linear layers. Ternary values
// are exact in TQ2_0, TQ1_0, Q8_0 (up to its f16 scale) and F16; Q4_0 stores +s exactly and -s as -7/8 s (its
// grid is -8..7), as llama.cpp's quantizer does for such a block.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "onebit/formats.hpp"
#include "onebit/reference.hpp"

namespace {

using onebit::float_to_half;
using onebit::half_to_float;

// GGUF value and tensor type ids (ggml.h, gguf.h) and llama.cpp's file types (llama.h).
enum : uint32_t { U32 = 4, I32 = 5, F32V = 6, BOOL = 7, STR = 8, ARR = 9 };
enum : uint32_t { T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q8_0 = 8, T_TQ1_0 = 34, T_TQ2_0 = 35 };
constexpr uint32_t ALIGN = 32;
constexpr double kTwoPi = 6.283185307179586;

struct Size {
    int hidden, layers, ffn, heads, kv_heads, vocab;
};

struct Type {
    const char* name;
    uint32_t id;
    uint32_t file_type;
    int block;   // values per block
    int bytes;   // bytes per block
};

const Type TYPES[] = {
    {"tq2_0", T_TQ2_0, 37, 256, 66}, {"tq1_0", T_TQ1_0, 36, 256, 54}, {"q4_0", T_Q4_0, 2, 32, 18},
    {"q8_0", T_Q8_0, 7, 32, 34},     {"f16", T_F16, 1, 1, 2},
};
const Type F32_TYPE{"f32", T_F32, 0, 1, 4};
const Type F16_TYPE = TYPES[4];
const Type Q8_TYPE = TYPES[3];

// splitmix64: a fast, seekable stream of random bits (one per row, so rows can be made in parallel).
struct Rng {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
};

struct Tensor {
    std::string name;
    std::vector<int64_t> shape;  // ne0 (row length) first
    Type type;
    enum Fill { TERNARY, NORMAL, ONES } fill;
    uint64_t offset = 0;

    int64_t rows() const { return shape.size() > 1 ? shape[1] : 1; }
    uint64_t row_bytes() const { return (uint64_t)(shape[0] / type.block) * type.bytes; }
    uint64_t bytes() const { return row_bytes() * rows(); }
};

void put_half(uint8_t* p, float v) {
    const uint16_t h = float_to_half(v);
    std::memcpy(p, &h, 2);
}

// One row of K values in the tensor's type, as llama.cpp's reference quantizers store it.
void encode_row(const Type& t, const float* x, uint8_t* out, int64_t K) {
    switch (t.id) {
        case T_TQ2_0: onebit::ref::quantize_row(onebit::Format::TQ2_0, x, out, K); return;
        case T_TQ1_0: onebit::ref::quantize_row(onebit::Format::TQ1_0, x, out, K); return;
        case T_F32: std::memcpy(out, x, K * 4); return;
        case T_F16:
            for (int64_t i = 0; i < K; i++) {
                put_half(out + 2 * i, x[i]);
            }
            return;
        case T_Q8_0:
            for (int64_t b = 0; b < K / 32; b++, out += 34) {
                float amax = 0;
                for (int i = 0; i < 32; i++) {
                    amax = std::fmax(amax, std::fabs(x[32 * b + i]));
                }
                const float d = amax / 127, id = d != 0 ? 1 / d : 0;
                put_half(out, d);
                for (int i = 0; i < 32; i++) {
                    out[2 + i] = (uint8_t)(int8_t)std::lround(x[32 * b + i] * id);
                }
            }
            return;
        case T_Q4_0:
            for (int64_t b = 0; b < K / 32; b++, out += 18) {
                float amax = 0, max = 0;
                for (int i = 0; i < 32; i++) {
                    const float v = x[32 * b + i];
                    if (std::fabs(v) > amax) {
                        amax = std::fabs(v);
                        max = v;
                    }
                }
                const float d = max / -8, id = d != 0 ? 1 / d : 0;
                put_half(out, d);
                for (int i = 0; i < 16; i++) {
                    const int lo = (int)std::fmin(15, x[32 * b + i] * id + 8.5f);
                    const int hi = (int)std::fmin(15, x[32 * b + 16 + i] * id + 8.5f);
                    out[2 + i] = (uint8_t)(lo | (hi << 4));
                }
            }
            return;
    }
    throw std::logic_error("no encoder for this type");
}

// The values of row r of tensor number index: ternary t * s (s = 1/sqrt(K), rounded to f16 so every type holds
// the same value), small normal values (Box-Muller), or ones (norms).
void make_row(const Tensor& t, int index, int64_t r, uint64_t seed, std::vector<float>& x) {
    const int64_t K = t.shape[0];
    Rng rng{seed ^ ((uint64_t)index << 40) ^ (uint64_t)r * 0x2545f4914f6cdd1dull};
    if (t.fill == Tensor::ONES) {
        std::fill(x.begin(), x.end(), 1.0f);
    } else if (t.fill == Tensor::TERNARY) {
        const float s = half_to_float(float_to_half(1.0f / std::sqrt((float)K)));
        for (int64_t i = 0; i < K; i += 32) {
            uint64_t bits = rng.next();
            for (int64_t j = i; j < i + 32 && j < K; j++, bits >>= 2) {
                const int v = (int)(bits & 3u);   // 0, 1, 2, 3 -> -1, 0, +1, 0: zeros twice as likely
                x[j] = v == 0 ? -s : v == 2 ? s : 0.0f;
            }
        }
    } else {
        for (int64_t i = 0; i < K; i += 2) {
            const double u1 = ((rng.next() >> 11) + 1.0) / 9007199254740993.0, u2 = (rng.next() >> 11) / 9007199254740992.0;
            const double m = 0.02 * std::sqrt(-2 * std::log(u1));
            x[i] = (float)(m * std::cos(kTwoPi * u2));
            if (i + 1 < K) {
                x[i + 1] = (float)(m * std::sin(kTwoPi * u2));
            }
        }
    }
}

struct Bytes {
    std::vector<uint8_t> b;
    void raw(const void* p, size_t n) { b.insert(b.end(), (const uint8_t*)p, (const uint8_t*)p + n); }
    void u32(uint32_t v) { raw(&v, 4); }
    void u64(uint64_t v) { raw(&v, 8); }
    void f32(float v) { raw(&v, 4); }
    void str(const std::string& s) { u64(s.size()); raw(s.data(), s.size()); }
};

struct Kv {
    Bytes b;
    uint64_t count = 0;
    void str(const std::string& k, const std::string& v) { b.str(k); b.u32(STR); b.str(v); count++; }
    void u32(const std::string& k, uint32_t v) { b.str(k); b.u32(U32); b.u32(v); count++; }
    void f32(const std::string& k, float v) { b.str(k); b.u32(F32V); b.f32(v); count++; }
    void boolean(const std::string& k, bool v) { b.str(k); b.u32(BOOL); uint8_t x = v; b.raw(&x, 1); count++; }
};

// A vocabulary of unique made-up tokens for llama.cpp's SPM tokenizer: control tokens, the 256 byte tokens, then
// words. Bytes and control tokens are never sampled in chat (their output rows are as random as the rest, but
// the benchmark and the perplexity test do not sample).
void vocabulary(Kv& kv, int size) {
    std::vector<std::string> text = {"<unk>", "<s>", "</s>"};
    std::vector<int32_t> type = {2, 3, 3};
    char buf[16];
    for (int b = 0; b < 256; b++) {
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        text.emplace_back(buf);
        type.push_back(6);
    }
    const std::string letters = "abcdefghijklmnopqrstuvwxyz";
    text.emplace_back("\xe2\x96\x81");  // the SPM word start
    type.push_back(1);
    for (char c : letters) {
        text.emplace_back(1, c);
        type.push_back(1);
    }
    for (int i = 0; (int)text.size() < size; i++) {
        std::string w = "\xe2\x96\x81";
        for (int n = i; ; n /= 26) {
            w += letters[n % 26];
            if (n < 26) {
                break;
            }
        }
        text.push_back(w);
        type.push_back(1);
    }
    kv.str("tokenizer.ggml.model", "llama");
    kv.str("tokenizer.ggml.pre", "default");
    kv.b.str("tokenizer.ggml.tokens");
    kv.b.u32(ARR);
    kv.b.u32(STR);
    kv.b.u64(text.size());
    for (const auto& t : text) {
        kv.b.str(t);
    }
    kv.b.str("tokenizer.ggml.scores");
    kv.b.u32(ARR);
    kv.b.u32(F32V);
    kv.b.u64(text.size());
    for (size_t i = 0; i < text.size(); i++) {
        kv.b.f32(type[i] == 1 ? -(float)i / (float)text.size() : 0.0f);
    }
    kv.b.str("tokenizer.ggml.token_type");
    kv.b.u32(ARR);
    kv.b.u32(I32);
    kv.b.u64(text.size());
    for (int32_t t : type) {
        kv.b.u32((uint32_t)t);
    }
    kv.count += 3;
    kv.u32("tokenizer.ggml.bos_token_id", 1);
    kv.u32("tokenizer.ggml.eos_token_id", 2);
    kv.u32("tokenizer.ggml.unknown_token_id", 0);
    kv.boolean("tokenizer.ggml.add_bos_token", true);
    kv.boolean("tokenizer.ggml.add_eos_token", false);
}

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr, "make_ternary_gguf: %s\nusage: make_ternary_gguf --size tiny|8b|70b "
                 "--type tq2_0|tq1_0|q4_0|q8_0|f16 --out FILE [--seed N]\n", why.c_str());
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    std::string size_name, type_name, out_path;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        const std::string a = argv[i];
        if (i + 1 >= argc) {
            usage(a + " needs a value");
        }
        const std::string v = argv[++i];
        if (a == "--size") {
            size_name = v;
        } else if (a == "--type") {
            type_name = v;
        } else if (a == "--out") {
            out_path = v;
        } else if (a == "--seed") {
            seed = std::stoull(v);
        } else {
            usage("unknown option " + a);
        }
    }
    Size size;
    if (size_name == "8b") {
        size = {4096, 32, 14336, 32, 8, 32000};
    } else if (size_name == "70b") {
        size = {8192, 80, 28672, 64, 8, 32000};
    } else if (size_name == "tiny") {
        size = {256, 2, 768, 4, 2, 512};
    } else {
        usage("--size must be tiny, 8b or 70b");
    }
    const Type* linear = nullptr;
    for (const Type& t : TYPES) {
        if (type_name == t.name) {
            linear = &t;
        }
    }
    if (linear == nullptr) {
        usage("--type must be tq2_0, tq1_0, q4_0, q8_0 or f16");
    }
    if (out_path.empty()) {
        usage("--out FILE is required");
    }

    const int64_t h = size.hidden, kv_dim = (int64_t)size.hidden / size.heads * size.kv_heads;
    std::vector<Tensor> tensors;
    tensors.push_back({"token_embd.weight", {h, size.vocab}, F16_TYPE, Tensor::NORMAL});
    for (int l = 0; l < size.layers; l++) {
        const std::string p = "blk." + std::to_string(l) + ".";
        tensors.push_back({p + "attn_norm.weight", {h}, F32_TYPE, Tensor::ONES});
        tensors.push_back({p + "attn_q.weight", {h, h}, *linear, Tensor::TERNARY});
        tensors.push_back({p + "attn_k.weight", {h, kv_dim}, *linear, Tensor::TERNARY});
        tensors.push_back({p + "attn_v.weight", {h, kv_dim}, *linear, Tensor::TERNARY});
        tensors.push_back({p + "attn_output.weight", {h, h}, *linear, Tensor::TERNARY});
        tensors.push_back({p + "ffn_norm.weight", {h}, F32_TYPE, Tensor::ONES});
        tensors.push_back({p + "ffn_gate.weight", {h, size.ffn}, *linear, Tensor::TERNARY});
        tensors.push_back({p + "ffn_up.weight", {h, size.ffn}, *linear, Tensor::TERNARY});
        tensors.push_back({p + "ffn_down.weight", {size.ffn, h}, *linear, Tensor::TERNARY});
    }
    tensors.push_back({"output_norm.weight", {h}, F32_TYPE, Tensor::ONES});
    tensors.push_back({"output.weight", {h, size.vocab}, Q8_TYPE, Tensor::NORMAL});

    Kv kv;
    kv.str("general.architecture", "llama");
    kv.str("general.name", "1bit-ternary-" + size_name + "-" + type_name);
    kv.u32("general.file_type", linear->file_type);
    kv.u32("general.alignment", ALIGN);
    kv.u32("llama.context_length", 4096);
    kv.u32("llama.embedding_length", (uint32_t)h);
    kv.u32("llama.block_count", (uint32_t)size.layers);
    kv.u32("llama.feed_forward_length", (uint32_t)size.ffn);
    kv.u32("llama.attention.head_count", (uint32_t)size.heads);
    kv.u32("llama.attention.head_count_kv", (uint32_t)size.kv_heads);
    kv.u32("llama.rope.dimension_count", (uint32_t)(h / size.heads));
    kv.f32("llama.rope.freq_base", 10000.0f);
    kv.f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    kv.u32("llama.vocab_size", (uint32_t)size.vocab);
    vocabulary(kv, size.vocab);

    Bytes infos;
    uint64_t offset = 0;
    for (Tensor& t : tensors) {
        t.offset = offset;
        infos.str(t.name);
        infos.u32((uint32_t)t.shape.size());
        for (int64_t d : t.shape) {
            infos.u64((uint64_t)d);
        }
        infos.u32(t.type.id);
        infos.u64(offset);
        offset += (t.bytes() + ALIGN - 1) / ALIGN * ALIGN;
    }

    std::ofstream out(out_path, std::ios::binary);
    if (!out) {
        usage("cannot write " + out_path);
    }
    Bytes head;
    head.raw("GGUF", 4);
    head.u32(3);
    head.u64(tensors.size());
    head.u64(kv.count);
    out.write((const char*)head.b.data(), head.b.size());
    out.write((const char*)kv.b.b.data(), kv.b.b.size());
    out.write((const char*)infos.b.data(), infos.b.size());
    const uint64_t header = head.b.size() + kv.b.b.size() + infos.b.size();
    std::vector<char> zeros(ALIGN, 0);
    out.write(zeros.data(), (std::streamsize)((ALIGN - header % ALIGN) % ALIGN));

    // Each tensor's rows are made by every core at once, then written in order.
    const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
    std::vector<uint8_t> data;
    for (size_t index = 0; index < tensors.size(); index++) {
        const Tensor& t = tensors[index];
        data.assign(t.bytes(), 0);
        std::vector<std::thread> pool;
        for (unsigned w = 0; w < workers; w++) {
            pool.emplace_back([&, w] {
                std::vector<float> x(t.shape[0]);
                for (int64_t r = w; r < t.rows(); r += workers) {
                    make_row(t, (int)index, r, seed, x);
                    encode_row(t.type, x.data(), data.data() + r * t.row_bytes(), t.shape[0]);
                }
            });
        }
        for (auto& th : pool) {
            th.join();
        }
        out.write((const char*)data.data(), (std::streamsize)data.size());
        out.write(zeros.data(), (std::streamsize)((ALIGN - data.size() % ALIGN) % ALIGN));
    }
    out.close();
    if (!out) {
        std::fprintf(stderr, "make_ternary_gguf: writing %s failed (disk full?)\n", out_path.c_str());
        return 1;
    }
    std::printf("%s: %s %s, %.3f GB\n", out_path.c_str(), size_name.c_str(), type_name.c_str(),
                (double)(header + offset) / 1e9);
    return 0;
}
