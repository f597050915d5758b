// GPU ops (HIP or CUDA). Pointers are device pointers; every call checks its shapes first and throws
// std::invalid_argument for K that is not a positive multiple of 256 or a batch outside 1..8. Every op takes the
// stream to enqueue on (a cudaStream_t or hipStream_t, passed as void* so this header needs no GPU runtime;
// nullptr = the legacy default stream); all are asynchronous and may be captured into a CUDA graph.
#pragma once

#include <cstdint>
#include <optional>

#include "onebit/formats.hpp"

namespace onebit::gpu {

// x: n_vectors rows of K floats -> n_vectors * K/256 ActBlocks in format f's layout.
void quantize_activations(Format f, const float* x, ActBlock* out, long K, int n_vectors, void* stream = nullptr);

// y[j*M + r] = dot(row r of w, activation vector j) for j < n_vectors (1 = GEMV; 2..8 = small-batch GEMM,
// weights read once). w: M rows in llama.cpp block layout. On CUDA (sm_90) the GEMV kernels are programmatic
// dependent launches: they start loading w while the kernel before them in the stream finishes, and read act and
// write y only after it has completed, so w must not be written by the kernel launched just before (in inference
// weights are constant).
void gemv(Format f, const uint8_t* w, const ActBlock* act, float* y, long M, long K, int n_vectors,
          void* stream = nullptr);

// gemv with an explicit number of rows per warp (1, 2 or 4), for tuning; gemv uses default_rows_per_warp.
void gemv_rows(Format f, const uint8_t* w, const ActBlock* act, float* y, long M, long K, int n_vectors,
               int rows_per_warp, void* stream = nullptr);
int default_rows_per_warp(Format f);

// The staged kernel alone (one vector): tiles of rows streamed into shared memory. Returns false, launching
// nothing, when the shape does not suit it (w not 16-byte aligned, or a tile over 100 KB); gemv then falls back
// to the per-warp kernel. max_blocks > 0 caps the grid (tests: few blocks walk many tiles and reuse every stage).
bool gemv_staged(Format f, const uint8_t* w, const ActBlock* act, float* y, long M, long K, int max_blocks = 0,
                 void* stream = nullptr);

// How gemv_staged runs a shape: rows per warp, split (1: a tile is 4 warps' rows; 4: long rows, a tile is
// rows_per_warp rows, each shared by the block's 4 warps), stages of stage_bytes per block, blocks launched,
// tiles in all. Empty where the staged kernel does not apply to the shape (whatever the pointer).
struct StagedPlan {
    int rows_per_warp;
    int split;
    int stages;
    uint32_t stage_bytes;
    int blocks;
    long tiles;
};
std::optional<StagedPlan> staged_plan(Format f, long M, long K, int max_blocks = 0);

// w (M rows) -> f16, bf16 (bits) or f32 values in natural order (llama.cpp's larger batches: dequantize, then GEMM).
void dequantize_f16(Format f, const uint8_t* w, uint16_t* out, long M, long K, void* stream = nullptr);
void dequantize_bf16(Format f, const uint8_t* w, uint16_t* out, long M, long K, void* stream = nullptr);
void dequantize_f32(Format f, const uint8_t* w, float* out, long M, long K, void* stream = nullptr);

}  // namespace onebit::gpu
