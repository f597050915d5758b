// CPU reference for each format: quantize, dequantize, activation quantization and a double-precision GEMV.
// Plain C++20, no GPU; the GPU kernels are checked against it and golden vectors are written by it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "onebit/formats.hpp"

namespace onebit::ref {

// Bytes of one row of K weights; throws std::invalid_argument unless K is a positive multiple of 256.
size_t row_bytes(Format f, long K);

// Weights per block (256; 128 for Q1_0) and bytes per block (66, 54, 18).
int block_weights(Format f);
int block_bytes(Format f);

void quantize_row(Format f, const float* x, uint8_t* out, long K);
void dequantize_row(Format f, const uint8_t* in, float* y, long K);
void dequantize_row_f16(Format f, const uint8_t* in, ggml_half* y, long K);

// The integer weight values (q - 1 for TQ formats, +-1 for Q1_0) in natural order, and each block's scale d.
void decode_row(Format f, const uint8_t* in, int8_t* values, float* scales, long K);

// int8 activations, one ActBlock per 256 values, laid out for format f (see act_position).
void quantize_activations(Format f, const float* x, ActBlock* out, long K);

// The int8 value of natural element e of an activation row.
int8_t activation_at(Format f, const ActBlock* act, long e);

// y[r] = sum over blocks of d_w * d_a * sum(values * int8 activations), in double.
std::vector<double> gemv(Format f, const uint8_t* w, const ActBlock* act, long M, long K);

}  // namespace onebit::ref
