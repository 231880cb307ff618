#pragma once
// The SIMD attention kernels (attention_kernels.h), one instantiation per ISA, like the
// linear kernels (linear_simd.h: same flags, same rule that the problem arrives as raw
// pointers and scratch comes from the caller). Reached only through
// kernels/cpu/attention.cpp after a CPU feature check; its scalar loop is the reference.
#include <cstdint>

namespace llmrun::cpu::simd {

// Query rows attended together: they share a KV head, so each key and value vector is
// read once for all of them.
constexpr int64_t kAttentionRows = 4;

struct AttentionProblem {
  const float* q = nullptr;       // [n, n_heads * d], row stride q_stride
  float* out = nullptr;           // [n, n_heads * d], row stride out_stride
  int64_t q_stride = 0, out_stride = 0;
  // One layer of the cache: head h's position p at keys + h * head_stride + p * d.
  const float* keys = nullptr;
  const float* values = nullptr;
  int64_t head_stride = 0;
  int64_t n = 0, start_pos = 0;   // query rows are positions start_pos .. start_pos + n - 1
  int64_t n_heads = 0, n_kv_heads = 0, d = 0;  // d a multiple of the ISA's lanes
  float scale = 1;
  int threads = 1;
  bool parallel = false;
  float* scratch = nullptr;       // [attention_scratch_floats(...)] fp32, uninitialized
};

// Score rows are padded to a multiple of this: two vectors of the widest ISA.
constexpr int64_t kScorePad = 32;
// From this many new rows (prefill) the keys are transposed once per call, to [d, positions]
// per KV head, and every chunk's scores are taken as broadcasts of its query values times
// 2 vectors of keys (no horizontal sums). Fewer rows (decode) would transpose the whole
// cache for a handful of dot products.
constexpr int64_t kAttentionTransposeMinRows = 16;

constexpr int64_t padded_positions(int64_t start_pos, int64_t n) {
  return (start_pos + n + kScorePad - 1) / kScorePad * kScorePad;
}
// Per thread: kAttentionRows score rows of every visible position, padded.
constexpr int64_t attention_scores_floats(int64_t start_pos, int64_t n) {
  return kAttentionRows * padded_positions(start_pos, n);
}
// One token (decode) over more than this many positions: each KV head's positions are cut
// into segments of this many, separate work items whose partial results (each row's max,
// sum and unnormalized output) are merged at the end, so that a few KV heads still spread
// over the threads. Fixed, not derived from the thread count: 1 or N threads give the same
// bits.
constexpr int64_t kAttentionSegment = 256;

constexpr int64_t attention_segments(int64_t start_pos, int64_t n) {
  return n == 1 && start_pos + n > kAttentionSegment ? (start_pos + n + kAttentionSegment - 1) / kAttentionSegment : 1;
}
// Work items of kAttentionRows rows per KV head and segment; per item and row d outputs,
// then the max and the sum.
constexpr int64_t attention_partial_floats(int64_t start_pos, int64_t n, int64_t n_heads, int64_t n_kv_heads,
                                           int64_t d) {
  const int64_t chunks = (n * (n_heads / n_kv_heads) + kAttentionRows - 1) / kAttentionRows;
  const int64_t segments = attention_segments(start_pos, n);
  return segments > 1 ? n_kv_heads * chunks * segments * kAttentionRows * (d + 2) : 0;
}
// Every thread's scores, then the transposed keys when n takes that path, then the
// segments' partial results.
constexpr int64_t attention_scratch_floats(int64_t start_pos, int64_t n, int64_t n_heads, int64_t n_kv_heads,
                                           int64_t d, int threads) {
  return int64_t(threads) * attention_scores_floats(start_pos, n) +
         (n >= kAttentionTransposeMinRows ? n_kv_heads * d * padded_positions(start_pos, n) : 0) +
         attention_partial_floats(start_pos, n, n_heads, n_kv_heads, d);
}

// d % 8 == 0 (AVX2), d % 16 == 0 (AVX-512).
void attention_avx2(const AttentionProblem& p);
void attention_avx512(const AttentionProblem& p);

// y = e^x through the kernels' vector exp, for tests; n a multiple of 16.
void exp_avx2(const float* x, float* y, int64_t n);
void exp_avx512(const float* x, float* y, int64_t n);

}  // namespace llmrun::cpu::simd
