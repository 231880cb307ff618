#pragma once
// The row-wise and elementwise ops of the decoder on the device: RMSNorm (whole rows or
// per head), rotate-half RoPE, residual add, SwiGLU, row argmax. Every reduction is fp32;
// inputs and outputs are float, bf16_t or f16_t (act_types.cuh). The CPU reference of each
// is kernels/cpu/elementwise.cpp (and the argmax of cpu_backend.cpp).
#include <cstdint>

#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/stream.h"

namespace llmrun::LLMRUN_CUDA_NS {

// out[r, :] = x[r, :] / sqrt(mean over each `width`-wide slice of x^2 + eps) * gain[0..width)
// x, out: [rows, cols] (cols % width == 0; may be the same buffer); gain: [width] fp32.
template <typename In, typename Out>
void rmsnorm(const In* x, const float* gain, float eps, int64_t rows, int64_t cols, int64_t width, Out* out,
             Stream stream);

// In place on x [rows, cols], head_dim-wide heads: (a, b) = (x[i], x[i + half]) ->
// (a cos - b sin, b cos + a sin) with angle = float(positions[r]) * inv_freq[i] rounded to
// fp32 first (as transformers computes it), cos and sin multiplied by attention_factor
// (yarn's; 1 otherwise). positions: [rows] i32; inv_freq: [half] fp32.
template <typename T>
void rope(T* x, int64_t rows, int64_t cols, int64_t head_dim, const int32_t* positions, const float* inv_freq,
          float attention_factor, Stream stream);

// Fused residual add + RMSNorm (one pass over the row instead of two kernels):
// residual[r, :] += delta[r, :] (fp32), then out[r, :] = rmsnorm(residual[r, :]) * gain.
// residual: [rows, cols] fp32; delta, out: [rows, cols] T; gain: [cols] fp32.
template <typename T>
void add_rmsnorm(float* residual, const T* delta, const float* gain, float eps, int64_t rows, int64_t cols, T* out,
                 Stream stream);

// Fused per-head RMSNorm (Qwen3's q_norm/k_norm; skipped when gain is null) then RoPE, in
// place on x [rows, cols] of head_dim-wide heads: the same values as rmsnorm (width
// head_dim) followed by rope, without rounding in between.
template <typename T>
void rmsnorm_rope_heads(T* x, int64_t rows, int64_t cols, int64_t head_dim, const float* gain, float eps,
                        const int32_t* positions, const float* inv_freq, float attention_factor, Stream stream);

// x[i] += y[i] (fp32 add, one rounding to X), n values.
template <typename X, typename Y>
void add(X* x, const Y* y, int64_t n, Stream stream);

// out[i] = silu(gate[i]) * up[i] in fp32, n values (out may alias gate).
template <typename T>
void swiglu(const T* gate, const T* up, T* out, int64_t n, Stream stream);

// out[r] = the first index of the largest x[r, :]; x: [rows, cols]; out: [rows] i32.
// NaN never wins (it is skipped), so a row of NaNs gives 0.
template <typename T>
void argmax_rows(const T* x, int64_t rows, int64_t cols, int32_t* out, Stream stream);

// out[i] = T(in[i]) (fp32 convert, one rounding), n values.
template <typename From, typename To>
void convert(const From* in, To* out, int64_t n, Stream stream);

}  // namespace llmrun::LLMRUN_CUDA_NS
