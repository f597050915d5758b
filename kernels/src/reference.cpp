#include "onebit/reference.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace onebit::ref {

namespace {

constexpr uint8_t kPow3[6] = {1, 3, 9, 27, 81, 243};

void require_k(long K) {
    if (K <= 0 || K % QK_K != 0) {
        throw std::invalid_argument("K = " + std::to_string(K) + " is not a positive multiple of 256");
    }
}

// llama.cpp's trit decode: q = (uint8_t)(b * 3^n); x = ((uint16_t)q * 3) >> 8.
int trit(uint8_t b, int n) {
    const uint8_t q = (uint8_t)(b * kPow3[n]);
    return ((uint16_t)q * 3) >> 8;
}

float block_amax(const float* x) {
    float amax = 0.0f;
    for (int j = 0; j < QK_K; j++) {
        amax = std::max(amax, std::fabs(x[j]));
    }
    return amax;
}

void quantize_tq2_0(const float* x, block_tq2_0* y, long nb) {
    for (long i = 0; i < nb; i++) {
        const float d = block_amax(x);
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = float_to_half(d);
        for (size_t j = 0; j < sizeof(y->qs); j += 32) {
            for (size_t m = 0; m < 32; ++m) {
                uint8_t q = 0;
                for (size_t n = 0; n < 4; ++n) {
                    const int xi = (int)std::lround(x[m + n * 32] * id) + 1;  // -1, 0, 1 -> 0, 1, 2
                    q += (uint8_t)((xi & 3) << (2 * n));
                }
                y[i].qs[j + m] = q;
            }
            x += 4 * 32;
        }
    }
}

void quantize_tq1_0(const float* x, block_tq1_0* y, long nb) {
    for (long i = 0; i < nb; i++) {
        const float d = block_amax(x);
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = float_to_half(d);
        // 5 elements per byte, along 32 bytes
        for (size_t j = 0; j < sizeof(y->qs) - sizeof(y->qs) % 32; j += 32) {
            for (size_t m = 0; m < 32; ++m) {
                uint8_t q = 0;
                for (size_t n = 0; n < 5; ++n) {
                    const int xi = (int)std::lround(x[m + n * 32] * id) + 1;
                    q = (uint8_t)(q * 3 + xi);
                }
                q = (uint8_t)(((uint16_t)q * 256 + (243 - 1)) / 243);  // ceiling division
                y[i].qs[j + m] = q;
            }
            x += 5 * 32;
        }
        // along 16 bytes
        for (size_t j = sizeof(y->qs) - sizeof(y->qs) % 32; j < sizeof(y->qs); j += 16) {
            for (size_t m = 0; m < 16; ++m) {
                uint8_t q = 0;
                for (size_t n = 0; n < 5; ++n) {
                    const int xi = (int)std::lround(x[m + n * 16] * id) + 1;
                    q = (uint8_t)(q * 3 + xi);
                }
                q = (uint8_t)(((uint16_t)q * 256 + (243 - 1)) / 243);
                y[i].qs[j + m] = q;
            }
            x += 5 * 16;
        }
        // 4 elements per byte
        for (size_t j = 0; j < sizeof(y->qh); ++j) {
            uint8_t q = 0;
            for (size_t m = 0; m < 4; ++m) {
                const int xi = (int)std::lround(x[j + m * sizeof(y->qh)] * id) + 1;
                q = (uint8_t)(q * 3 + xi);
            }
            q = (uint8_t)(q * 3);  // the first value becomes the most significant trit
            q = (uint8_t)(((uint16_t)q * 256 + (243 - 1)) / 243);
            y[i].qh[j] = q;
        }
        x += 4 * sizeof(y->qh);
    }
}

void quantize_q1_0(const float* x, block_q1_0* y, long nb) {
    for (long i = 0; i < nb; i++) {
        float sum_abs = 0.0f;
        for (int j = 0; j < QK1_0; j++) {
            sum_abs += std::fabs(x[i * QK1_0 + j]);
        }
        y[i].d = float_to_half(sum_abs / QK1_0);
        for (int j = 0; j < QK1_0 / 8; ++j) {
            y[i].qs[j] = 0;
        }
        for (int j = 0; j < QK1_0; ++j) {
            if (x[i * QK1_0 + j] >= 0.0f) {
                y[i].qs[j / 8] |= (uint8_t)(1 << (j % 8));
            }
        }
    }
}

}  // namespace

int block_weights(Format f) {
    return f == Format::Q1_0 ? QK1_0 : QK_K;
}

int block_bytes(Format f) {
    switch (f) {
        case Format::TQ2_0: return sizeof(block_tq2_0);
        case Format::TQ1_0: return sizeof(block_tq1_0);
        case Format::Q1_0: return sizeof(block_q1_0);
    }
    return 0;
}

size_t row_bytes(Format f, long K) {
    require_k(K);
    return (size_t)(K / block_weights(f)) * block_bytes(f);
}

void quantize_row(Format f, const float* x, uint8_t* out, long K) {
    require_k(K);
    const long nb = K / block_weights(f);
    switch (f) {
        case Format::TQ2_0: quantize_tq2_0(x, reinterpret_cast<block_tq2_0*>(out), nb); break;
        case Format::TQ1_0: quantize_tq1_0(x, reinterpret_cast<block_tq1_0*>(out), nb); break;
        case Format::Q1_0: quantize_q1_0(x, reinterpret_cast<block_q1_0*>(out), nb); break;
    }
}

void decode_row(Format f, const uint8_t* in, int8_t* v, float* scales, long K) {
    require_k(K);
    const long nb = K / block_weights(f);
    for (long i = 0; i < nb; i++) {
        if (f == Format::TQ2_0) {
            const auto& b = reinterpret_cast<const block_tq2_0*>(in)[i];
            scales[i] = half_to_float(b.d);
            for (size_t j = 0; j < sizeof(b.qs); j += 32) {
                for (size_t l = 0; l < 4; ++l) {
                    for (size_t m = 0; m < 32; ++m) {
                        *v++ = (int8_t)(((b.qs[j + m] >> (l * 2)) & 3) - 1);
                    }
                }
            }
        } else if (f == Format::TQ1_0) {
            const auto& b = reinterpret_cast<const block_tq1_0*>(in)[i];
            scales[i] = half_to_float(b.d);
            for (size_t j = 0; j < sizeof(b.qs) - sizeof(b.qs) % 32; j += 32) {
                for (int n = 0; n < 5; ++n) {
                    for (size_t m = 0; m < 32; ++m) {
                        *v++ = (int8_t)(trit(b.qs[j + m], n) - 1);
                    }
                }
            }
            for (size_t j = sizeof(b.qs) - sizeof(b.qs) % 32; j < sizeof(b.qs); j += 16) {
                for (int n = 0; n < 5; ++n) {
                    for (size_t m = 0; m < 16; ++m) {
                        *v++ = (int8_t)(trit(b.qs[j + m], n) - 1);
                    }
                }
            }
            for (int n = 0; n < 4; ++n) {
                for (size_t j = 0; j < sizeof(b.qh); ++j) {
                    *v++ = (int8_t)(trit(b.qh[j], n) - 1);
                }
            }
        } else {
            const auto& b = reinterpret_cast<const block_q1_0*>(in)[i];
            scales[i] = half_to_float(b.d);
            for (int j = 0; j < QK1_0; ++j) {
                *v++ = (b.qs[j / 8] >> (j % 8)) & 1 ? 1 : -1;
            }
        }
    }
}

void dequantize_row(Format f, const uint8_t* in, float* y, long K) {
    const long bw = block_weights(f);
    std::vector<int8_t> v(K);
    std::vector<float> d(K / bw);
    decode_row(f, in, v.data(), d.data(), K);
    for (long e = 0; e < K; e++) {
        y[e] = (float)v[e] * d[e / bw];
    }
}

void dequantize_row_f16(Format f, const uint8_t* in, ggml_half* y, long K) {
    std::vector<float> tmp(K);
    dequantize_row(f, in, tmp.data(), K);
    for (long e = 0; e < K; e++) {
        y[e] = float_to_half(tmp[e]);
    }
}

void quantize_activations(Format f, const float* x, ActBlock* out, long K) {
    require_k(K);
    for (long b = 0; b < K / QK_K; b++) {
        const float* xb = x + b * QK_K;
        const float amax = block_amax(xb);
        const float iscale = amax > 0.0f ? 127.0f / amax : 0.0f;
        ActBlock& a = out[b];
        a.d = amax / 127.0f;
        a.sum[0] = a.sum[1] = 0;
        a.pad = 0;
        for (int j = 0; j < QK_K; j++) {
            const int q = std::clamp((int)std::nearbyint(xb[j] * iscale), -127, 127);
            a.qs[act_position(f, j)] = (int8_t)q;
            a.sum[j / 128] += q;
        }
    }
}

int8_t activation_at(Format f, const ActBlock* act, long e) {
    return act[e / QK_K].qs[act_position(f, (int)(e % QK_K))];
}

std::vector<double> gemv(Format f, const uint8_t* w, const ActBlock* act, long M, long K) {
    const size_t rb = row_bytes(f, K);
    const long bw = block_weights(f);
    std::vector<int8_t> v(K);
    std::vector<float> d(K / bw);
    std::vector<double> y(M);
    for (long r = 0; r < M; r++) {
        decode_row(f, w + r * rb, v.data(), d.data(), K);
        double acc = 0.0;
        for (long b = 0; b < K / bw; b++) {
            long isum = 0;
            for (long e = b * bw; e < (b + 1) * bw; e++) {
                isum += (long)v[e] * activation_at(f, act, e);
            }
            acc += (double)d[b] * (double)act[(b * bw) / QK_K].d * (double)isum;
        }
        y[r] = acc;
    }
    return y;
}

}  // namespace onebit::ref
