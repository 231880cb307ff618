#pragma once
// Group-scaled formats: every kGroup weights along a row are one block holding their own
// fp16 scale (2 bytes, little-endian) followed by the kGroup codes packed as the element
// code packs them (T::pack) — the layout of llama.cpp's Q8_0 (d, qs[32]) for int8. The
// row-level scale is 1. A format is an element traits struct (code_traits.h) and a group
// size: GroupedCodec<T, 32>.
//
// Scale: the rule's scale s0 = amax(group) / max_code_value rounded to fp16, moved up one
// fp16 step when the rounding went down past amax / max (so no weight of the group
// saturates); at least fp16's smallest subnormal 2^-24 (groups whose amax is below
// 2^-24 * max lose their small values to the fixed step, as a row of fp32 values below
// fp16's range would); at most 65504 (larger weights saturate; the loader has refused such
// checkpoints before). Then a search (search_group_scale): s0 x kScaleSearchFactors and
// each one's least-squares refit, the least squared error winning (a refit below s0 may
// saturate the largest weight). Given an importance per input (encode_row_weighted: the
// mean square of the activation each weight multiplies, runtime/importance_matrix.h), the
// error is weighted by it and the search tries kWeightedScaleSearchFactors. An all-zero
// group has scale 1 and zero codes. A
// partial last group is padded with code 0 and its scale comes from its real weights.
// Codes are T::encode(w / s) on the fp32 quotient (saturating), as the per-row formats.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <utility>

#include "kernels/quant/half.h"
#include "kernels/quant/scaled_codec.h"
#include "kernels/quant/weight_format.h"

namespace llmrun::quant {

// The fp16 scale of a group whose largest magnitude is amax (finite, >= 0).
inline uint16_t group_scale_f16(float amax, float max_code_value) {
  if (amax == 0.0f) return 0x3c00;  // 1.0
  const float want = amax / max_code_value;
  if (!(want < 65504.0f)) return 0x7bff;
  uint16_t h = f32_to_f16(want);
  if (h == 0) return 1;  // 2^-24
  if (f16_to_f32(h) < want) ++h;  // the next fp16 up; positive, so one more in the bits
  return h;
}

// The fp16 scale bits at the head of a group-scaled block (little-endian): every reader of
// the layout (codec, CPU upload, CUDA layout) takes them from here.
inline uint16_t block_scale_bits(const uint8_t* block) { return uint16_t(block[0] | block[1] << 8); }

// fp32 -> fp16 bits for a candidate scale: round to nearest even, within [2^-24, 65504].
inline uint16_t clamped_scale_f16(float want) {
  if (!(want < 65504.0f)) return 0x7bff;
  const uint16_t h = f32_to_f16(want);
  return h == 0 ? uint16_t(1) : h;
}

// Candidate factors on the rule's scale, each followed by one least-squares refit of the
// scale to the codes it gave (s = sum w*v / sum v*v). Scales above the rule's help the
// float formats: a weight pushed just below a binade boundary gets that binade's finer
// step. Measured on stories260k's weights (scripts/weight_noise.py, "searched" rows):
// fp6-e2m3-g32's noise ||W - Q(W)||^2 / ||W||^2 6.10e-4 -> 4.29e-4 and int8-g32's
// 2.88e-5 -> 2.64e-5 at up to 6 trial encodes per weight; 14 trials (factors 0.75-1.05)
// reached only 4.35e-4, 26 trials 4.24e-4.
inline constexpr float kScaleSearchFactors[] = {1.0f, 1.05f, 1.1f};
// With importance weights: more candidates, below the rule's scale too (clipping a large
// weight can pay when its input is rarely large). SmolLM2, WikiText-2 KL of `fp6` against
// fp16 with an importance matrix from other WikiText text (docs/ACCURACY.md): 0.00628
// with the three factors above, 0.00538 with these; without importance these eight gave
// 0.00952 against 0.0102, not worth 2.2x the load time of every data-free load.
inline constexpr float kWeightedScaleSearchFactors[] = {1.0f, 0.9f, 0.95f, 1.05f, 1.1f, 1.15f, 1.2f, 1.25f};

template <typename T, int kGroup>
struct GroupedCodec {
  static_assert(kGroup % T::kBlockSize == 0, "a group holds whole element blocks");
  static constexpr int kCodeBytes = kGroup / T::kBlockSize * T::kBlockBytes;
  static constexpr int kBlockBytes = 2 + kCodeBytes;

  static float block_scale(const uint8_t* block) { return f16_to_f32(block_scale_bits(block)); }

  // Squared error of w[len] coded with scale s, each term times c[i] (1 when c is null;
  // double, summed in index order), and the decoded codes (before scaling) in v.
  static double coded_error(const float* w, const float* c, int len, float s, float* v) {
    for (int i = 0; i < len; ++i) v[i] = T::round_scaled(w[i] / s);  // apart, so it vectorizes
    double err = 0.0;
    for (int i = 0; i < len; ++i) {
      const double e = double(w[i]) - double(v[i]) * double(s);
      err += (c ? double(c[i]) : 1.0) * e * e;
    }
    return err;
  }

  // The fp16 scale, among each candidate (factors x s0, the first factor 1) and its refit,
  // with the least (c-weighted, when c is given) squared error; s0 on ties and near-ties
  // (within 2^-30 relative, so a fused multiply-add in the sum cannot change the choice).
  // scripts/make_codec_goldens.py repeats the unweighted search step for step.
  template <size_t kFactors>
  static uint16_t search_group_scale(const float* w, const float* c, int len, uint16_t s0,
                                     const float (&factors)[kFactors]) {
    constexpr double kBetter = 1.0 - 1.0 / double(1 << 30);
    float v[kGroup];
    uint16_t best = s0;
    double best_err = -1.0;
    auto consider = [&](uint16_t h) {  // leaves h's decoded codes in v
      const double err = coded_error(w, c, len, f16_to_f32(h), v);
      if (best_err < 0.0 || err < best_err * kBetter) best = h, best_err = err;
    };
    for (float f : factors) {
      const uint16_t h = f == 1.0f ? s0 : clamped_scale_f16(f16_to_f32(s0) * f);
      consider(h);
      // The (weighted) least-squares scale for h's codes (each product w*v is exact in
      // double, so a fused multiply-add gives the same unweighted sums).
      double num = 0.0, den = 0.0;
      for (int i = 0; i < len; ++i) {
        const double ci = c ? double(c[i]) : 1.0;
        num += ci * double(w[i]) * double(v[i]), den += ci * double(v[i]) * double(v[i]);
      }
      if (den > 0.0 && num > 0.0) {
        const uint16_t refit = clamped_scale_f16(float(num / den));
        if (refit != h) consider(refit);
      }
    }
    return best;
  }

  // src[n] fp32 (finite) -> dst[row_bytes(n)]; *scale = 1 (the scales are in the blocks).
  static void encode_row(const float* src, int64_t n, uint8_t* dst, float* scale) {
    encode_row_weighted(src, n, nullptr, dst, scale);
  }

  // The same, each group's scale minimizing sum importance[i] * (w_i - q_i)^2 over
  // kWeightedScaleSearchFactors; importance[n] finite and >= 0, or null for encode_row.
  static void encode_row_weighted(const float* src, int64_t n, const float* importance, uint8_t* dst, float* scale) {
    uint8_t codes[kGroup];
    for (int64_t g = 0; g < n; g += kGroup) {
      const int64_t len = std::min<int64_t>(kGroup, n - g);
      float amax = 0.0f;
      for (int64_t i = 0; i < len; ++i) amax = std::max(amax, std::fabs(src[g + i]));
      const uint16_t s0 = group_scale_f16(amax, T::kMaxCodeValue);
      const uint16_t h = importance
                             ? search_group_scale(src + g, importance + g, int(len), s0, kWeightedScaleSearchFactors)
                             : search_group_scale(src + g, nullptr, int(len), s0, kScaleSearchFactors);
      const float s = f16_to_f32(h);
      uint8_t* block = dst + g / kGroup * kBlockBytes;
      block[0] = uint8_t(h & 0xff);
      block[1] = uint8_t(h >> 8);
      for (int i = 0; i < kGroup; ++i) codes[i] = i < len ? T::encode(src[g + i] / s) : uint8_t(0);
      for (int b = 0; b < kGroup / T::kBlockSize; ++b) T::pack(codes + b * T::kBlockSize, block + 2 + b * T::kBlockBytes);
    }
    *scale = 1.0f;
  }

  static void unpack_group(const uint8_t* block, uint8_t* codes) {
    for (int b = 0; b < kGroup / T::kBlockSize; ++b) T::unpack(block + 2 + b * T::kBlockBytes, codes + b * T::kBlockSize);
  }

  // dst[i] = decode(code_i) * group scale * scale (scale is 1 but for a caller's unscale).
  static void decode_row(const uint8_t* src, float scale, int64_t n, float* dst) {
    uint8_t codes[kGroup];
    for (int64_t g = 0; g < n; g += kGroup) {
      const uint8_t* block = src + g / kGroup * kBlockBytes;
      const float s = block_scale(block) * scale;
      unpack_group(block, codes);
      for (int64_t i = 0; i < kGroup && g + i < n; ++i) dst[g + i] = T::decode(codes[i]) * s;
    }
  }

  // Per group: sum decode(code_i) * x[i] in fp32 in index order, times the group scale,
  // added to the row's fp32 sum; times scale once.
  static float dot_row(const uint8_t* src, float scale, const float* x, int64_t n) {
    uint8_t codes[kGroup];
    float acc = 0.0f;
    for (int64_t g = 0; g < n; g += kGroup) {
      const uint8_t* block = src + g / kGroup * kBlockBytes;
      unpack_group(block, codes);
      float part = 0.0f;
      for (int64_t i = 0; i < kGroup && g + i < n; ++i) part += T::decode(codes[i]) * x[g + i];
      acc += part * block_scale(block);
    }
    return acc * scale;
  }

  // A group whose scale is inf or NaN counts from its first weight (a zero or negative
  // scale, which the encoder never writes, still decodes to finite values).
  static int64_t first_non_finite(const uint8_t* src, int64_t n) {
    const std::array<bool, 256>& finite = finite_codes<T>();
    uint8_t codes[kGroup];
    for (int64_t g = 0; g < n; g += kGroup) {
      const uint8_t* block = src + g / kGroup * kBlockBytes;
      const float s = block_scale(block);
      if (!std::isfinite(s)) return g;
      unpack_group(block, codes);
      for (int64_t i = 0; i < kGroup && g + i < n; ++i)
        if (!finite[codes[i]]) return g + i;
    }
    return -1;
  }

  // element: the per-row format of T's codes (ScaledCodec<T>'s), whose row layout a
  // group's codes follow.
  static constexpr CodecRecord record(WeightFormat format, const char* name, WeightFormat element) {
    return CodecRecord{format,     name,        T::kBits,    kGroup,          kBlockBytes,
                       false,      T::kMaxCodeValue, &encode_row, &decode_row, &dot_row,
                       &first_non_finite, kGroup, &block_scale, element, &encode_row_weighted};
  }
};

}  // namespace llmrun::quant
