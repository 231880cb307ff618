#pragma once
// The SIMD linear kernels (linear_kernels.h), one instantiation per ISA:
//   linear_avx2.cpp    compiled with -mavx2 -mfma -mf16c
//   linear_avx512.cpp  compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vbmi -mfma -mf16c
// Reached only through kernels/cpu/linear.cpp after a CPU feature check.
//
// The problem arrives as raw pointers, and scratch memory and decode tables are made by
// the caller: the SIMD files instantiate no standard-library template and share no inline
// function containing floating-point code with baseline files, so the linker can never
// pick an AVX-compiled copy of a function that baseline code also calls.
#include <cstdint>

#include "kernels/quant/weight_format.h"

namespace llmrun::cpu::simd {

// Prefill tiling, broadcast kernel: W is decoded (up to) kGemmTileRows x kGemmTileCols at
// a time into a per-thread fp32 buffer, then transposed into a second one (16 KiB each for
// AVX-512's 32-row tiles: both stay in L1 beside a group of tokens' x while they pass over
// it). Measured on the Xeon (AVX-512) at 3072x1024, 128 tokens: 128 columns 1.2-1.3x faster
// than 256 or 64.
constexpr int64_t kGemmTileRows = 32;
constexpr int64_t kGemmTileCols = 128;
// The dot kernel (few tokens) on tiles of 16 rows x 256 inputs: longer dot products, so
// fewer horizontal sums per product (32 x 128 measured 1.2-1.6x slower for 4-16 tokens).
constexpr int64_t kGemmDotTileRows = 16;
constexpr int64_t kGemmDotTileCols = 256;
// Decoded W rows are zero-padded to a multiple of this (the widest vector).
constexpr int64_t kGemmPad = 16;
// The most tokens a prefill micro-kernel takes (AVX-512's; AVX2's divides it).
constexpr int64_t kGemmMaxTokens = 12;
// From this many tokens the prefill kernels lay each decoded W slice out k-major and
// broadcast x (no horizontal sums); fewer take dot products on the slice as decoded, since
// the transposition costs about as much as it saves at ~24 tokens. bench_linear
// gemm/avx512/.../1024x3072/nN on the Xeon, one binary with each kernel, min of 6
// alternating runs: broadcast / dot time 0.98-1.02 at 24 tokens, 0.85 at 32, 0.75-0.88 at 64.
constexpr int64_t kGemmBroadcastMinTokens = 24;
// Up to this many tokens run the decode (GEMV) kernels, which read W once for all of them.
// More tokens go to the prefill kernels, which also read W once: measured on Zen 5 at
// 2560x9728, 2 threads, fp8 (bench_linear gemv/.../nN), a GEMV row group re-reads every
// token's whole x row (4 tokens x 10 KiB no longer stays in L1): 4 tokens took 1.43 ms
// there against 1.17 ms tiled, 8 tokens 3.4 ms against 1.9 ms.
constexpr int64_t kGemvMaxTokens = 3;
// The single-token GEMV of group-scaled integer-valued rows (gemv_rounds_x_to_int16) rounds
// x to int16 in blocks of this many values, each with its own power-of-two scale
// (linear_kernels.h, quantize_x_i16).
constexpr int64_t kGemvXBlock = 32;

struct LinearProblem {
  const float* x = nullptr;      // [n, k] fp32 row-major
  int64_t n = 0, k = 0, m = 0;   // tokens, input features (W cols), output features (W rows)
  const uint8_t* w = nullptr;    // [m, row_bytes] packed in codes_codec's layout
  int64_t row_bytes = 0;
  const float* scales = nullptr; // [m] per-row scale (1 for unscaled formats)
  // The codec of w's rows: codec itself, or for a group-scaled codec its element codec
  // (cpu_tensor.h: the blocks are split into codes and group_scales).
  const CodecRecord* codes_codec = nullptr;
  const uint16_t* group_scales = nullptr;  // [m, groups_per_row] fp16 bits, or null
  int64_t groups_per_row = 0;
  const float* bias = nullptr;   // [m] fp32, or null
  float* out = nullptr;          // [n, m] fp32 row-major
  const CodecRecord* codec = nullptr;
  int threads = 1;
  bool parallel = false;         // the caller decided the problem is big enough for threads
  bool lut_decode = false;       // fp8/fp6 through the tables below instead of bit moves
  const float* fp8_table = nullptr;  // [256] fp8 E4M3 code -> fp32 (unscaled)
  const float* fp6_table = nullptr;  // [64] code of this fp6 format (E3M2 or E2M3) -> fp32 (unscaled)
  float* scratch = nullptr;      // [simd_scratch_floats(...)] fp32, uninitialized
};

constexpr int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

// Whether the SIMD kernels round x to int16 for this problem (linear_kernels.h,
// quantize_x_i16): one token times integer-valued codes with group scales: int8, and on
// AVX-512 fp6 E2M3 (AVX2 decodes it to fp32: in its 16 registers and 3 vector ports the
// integer decode measured no faster). Tests widen their error bound by that rounding.
inline bool gemv_rounds_x_to_int16(const CodecRecord& c, int64_t n, bool avx512) {
  return n == 1 && c.group_size > 0 &&
         (c.element == WeightFormat::int8 || (avx512 && c.element == WeightFormat::fp6_e2m3));
}

// Scratch the kernels need. Decode: x as int16 and its block scales when it is rounded
// (above), else none. Prefill: per-thread W tiles, row-major and transposed, and a copy of
// x (packed k-major in groups of the micro-kernel's tokens, or rows zero-padded to a
// multiple of kGemmPad).
inline int64_t simd_scratch_floats(const CodecRecord& c, int64_t n, int64_t k, int threads, bool avx512) {
  if (n <= kGemvMaxTokens)
    return gemv_rounds_x_to_int16(c, n, avx512) ? round_up(k, kGemvXBlock) / 2 + round_up(k / kGemvXBlock, 8) : 0;
  return int64_t(threads) * 2 * kGemmTileRows * kGemmTileCols + round_up(n, kGemmMaxTokens) * round_up(k, kGemmPad);
}

// Whether the SIMD kernels have a decoder for `format` (a new format starts without one
// and runs the scalar reference until it gets one).
bool simd_handles(WeightFormat format);
// Both require simd_handles(p.codec->format) and 1 <= p.n.
void linear_avx2(const LinearProblem& p);
void linear_avx512(const LinearProblem& p);

}  // namespace llmrun::cpu::simd
