#pragma once
// Sampling a token per row of logits on the device: temperature, top-k, min-p, top-p and
// the inverse CDF at a caller-drawn uniform, with only the chosen id written. The
// reference is runtime/sampler.cpp's Sampler (the Backend::sample contract in
// runtime/backend.h); kernels/cpu/sample.cpp is the same on the CPU.
//
// What is computed, exactly:
//   M = max logit; w_i = 1 if l_i == M, else expf((l_i - M) * fp32(1/T)) (so a row of -inf
//   or equal logits is a uniform choice, never NaN); masses q_i = trunc(w_i * 2^40) summed
//   exactly in 64-bit integers (order-free, so deterministic without float atomics; exact
//   for w_i >= 2^-17, off by < 2^-40 below). The order is the reference's stable sort:
//   higher logit first, lower id first among equal logits (-0 equals +0).
//   top-k: the first k in that order. min-p: the prefix with w_i >= min_p. top-p: the
//   shortest prefix whose mass reaches ceil(top_p * kept mass) (skipped when top_p >= 1).
//   Then, in increasing id order over the kept ids, the first whose cumulative mass
//   exceeds floor(u * kept mass) (capped at kept mass - 1: the last id of non-zero mass
//   when rounding leaves u at the total).
// How, without a sort: one block of 1024 threads per row. A pass for the max; the k-th
// largest (or the top-p cutoff, by mass) is found by histogram selection over an
// order-preserving 32-bit key: a first pass bins keys logarithmically by their distance
// from the max (fine near the top, where the answers lie), later passes split the chosen
// bin's key range 2048 ways until one key remains. When the top-k set is small (<= 2048,
// e.g. top-k 20) it is compacted into shared memory after usually one such pass and the
// rest (min-p, top-p, inverse CDF) runs there on the sorted candidates (rank sort up to
// 256, bitonic beyond). Otherwise (top-k off or > 2048) the kept set stays a threshold
// rule and the inverse CDF scans the row: per-thread masses over contiguous id ranges, a
// block scan, and the thread holding the target rescans its range.
// Ties at a threshold are cut in id order: keys above it are all kept, of those equal to
// it the first r by id (a block-wide scan of per-thread counts over contiguous id ranges).
// Costs: top-k <= 2048 typically 3 passes over the row (max, one histogram, compaction);
// top-p with top-k off about 6-8. Not measured on a GPU yet.
#include <cstdint>

#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/stream.h"
#include "kernels/quant/half.h"
#include "kernels/quant/host_device.h"
#include "runtime/backend.h"

namespace llmrun::LLMRUN_CUDA_NS {

// out[r] = the token drawn from row r of logits [rows, vocab] (T = float, bf16_t or f16_t;
// NaN-free) under params at uniforms[r] (device, [rows], in [0, 1)); out: [rows] i32,
// device. params as in Backend::sample: temperature > 0, top_k >= 0 (0 or >= vocab: off),
// top_p in (0, 1], min_p in [0, 1]. 1 <= vocab < 2^24. No scratch memory: every row's
// state lives in its block's shared memory (~42 KiB).
template <typename T>
void sample_rows(const T* logits, int64_t rows, int64_t vocab, const SamplingParams& params, const float* uniforms,
                 int32_t* out, Stream stream);

// The key order and the histogram bins of the selection passes (host and device, so the
// tests check them exhaustively).
namespace sample_detail {

constexpr int kBins = 2048;  // histogram bins per pass

// Monotone map of floats (no NaN) to unsigned: a > b <=> key(a) > key(b). canonical()
// makes -0 into +0 first (they compare equal, so the reference orders them by id like any
// other tie).
LLMRUN_HD float canonical(float x) { return x == 0.0f ? 0.0f : x; }
LLMRUN_HD unsigned order_key(float x) {
  const unsigned b = quant::f32_bits(x);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
LLMRUN_HD float key_value(unsigned k) { return quant::f32_from_bits((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k); }

// Bins over a key range [lo, top], numbered from the top key down: linear (key distance
// d = top - key, shifted right) or, for the first pass, logarithmic in d (64 bins per
// octave, exact below 64; bins 0..1727): fine where keys are close to the maximum, which
// is where top-k and top-p cut. Either way bin(key) is monotone (a higher key never lands
// in a later bin) and keys(b) is exactly the keys that land in b.
struct Binning {
  unsigned top, lo;
  int shift;  // < 0: logarithmic
  LLMRUN_HD static Binning logarithmic(unsigned top_key) { return Binning{top_key, 0u, -1}; }
  LLMRUN_HD static Binning linear(unsigned top_key, unsigned lo_key) {
    int s = 0;
    while (((top_key - lo_key) >> s) >= unsigned(kBins)) ++s;
    return Binning{top_key, lo_key, s};
  }
  LLMRUN_HD bool contains(unsigned key) const { return key >= lo && key <= top; }
  // For a key in [lo, top]: < kBins.
  LLMRUN_HD int bin(unsigned key) const {
    const unsigned d = top - key;
    if (shift >= 0) return int(d >> shift);
    if (d < 64u) return int(d);
    const int e = 31 - leading_zeros(d);  // 6..31
    return 64 + (e - 6) * 64 + int((d >> (e - 6)) & 63u);
  }
  // The keys of bin b, [*key_lo, *key_hi]; false when no key of [lo, top] is in b.
  LLMRUN_HD bool keys(int b, unsigned* key_hi, unsigned* key_lo) const {
    unsigned d_lo, d_hi;
    if (shift >= 0) {
      d_lo = unsigned(b) << shift;
      d_hi = d_lo + ((1u << shift) - 1u);
    } else if (b < 64) {
      d_lo = d_hi = unsigned(b);
    } else {
      const int e = 6 + (b - 64) / 64;
      d_lo = (64u + unsigned((b - 64) % 64)) << (e - 6);
      d_hi = d_lo + ((1u << (e - 6)) - 1u);
    }
    const unsigned d_max = top - lo;
    *key_hi = top - d_lo;
    *key_lo = top - (d_hi < d_max ? d_hi : d_max);
    return d_lo <= d_max;
  }
  LLMRUN_HD static int leading_zeros(unsigned x) {  // x != 0
#if defined(__CUDA_ARCH__)
    return __clz(int(x));
#else
    return __builtin_clz(x);
#endif
  }
};

}  // namespace sample_detail

}  // namespace llmrun::LLMRUN_CUDA_NS
