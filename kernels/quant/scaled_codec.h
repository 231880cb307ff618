#pragma once
// Row logic shared by the scaled formats (int8, fp8, fp6): one fp32 scale per row,
// scale = amax / max_code_value (1 for an all-zero row), code = encode(w / scale), codes
// packed kBlockSize at a time, the last block padded with code 0. A format supplies only a
// traits struct:
//   kBits, kBlockSize, kBlockBytes, kMaxCodeValue (float)
//   uint8_t encode(float scaled)          // round + saturate one value already divided by scale
//   float decode(uint8_t code)            // code -> unscaled value
//   void pack(const uint8_t* codes, uint8_t* block)    // codes[kBlockSize] -> block[kBlockBytes]
//   void unpack(const uint8_t* block, uint8_t* codes)  // block[kBlockBytes] -> codes[kBlockSize]
//
// Rounding at the top of the row: amax / (amax / max) is the fp32 quotient of an fp32
// division and can land an ulp above or below max. Above, saturation (fp8, fp6) or the clamp
// (int8) returns the max code; below, max(1 - 2^-23) is far closer to max than to the next
// code down (a relative gap of at least 2^-7 for every format here), so it rounds to the max
// code as well. Ties are decided on the fp32 quotient w / scale, as a GPU kernel computing
// the same division would.
#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <utility>

#include "kernels/quant/weight_format.h"

namespace llmrun::quant {

// Traits helper for formats that store one code per byte.
struct OneCodePerByte {
  static constexpr int kBlockSize = 1;
  static constexpr int kBlockBytes = 1;
  static void pack(const uint8_t* codes, uint8_t* block) { block[0] = codes[0]; }
  static void unpack(const uint8_t* block, uint8_t* codes) { codes[0] = block[0]; }
};

// Scale for a row whose largest magnitude is amax (finite, >= 0). A row so tiny that
// amax / max underflows to 0 gets the smallest positive float instead, so the division in
// encode never divides by zero (such rows decode to multiples of 2^-149).
inline float row_scale(float amax, float max_code_value) {
  if (amax == 0.0f) return 1.0f;
  float scale = amax / max_code_value;
  return scale > 0.0f ? scale : FLT_TRUE_MIN;
}

// Which of an element code's (at most 8-bit) codes decode to a finite value.
template <typename T>
const std::array<bool, 256>& finite_codes() {
  static const std::array<bool, 256> table = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < (1 << T::kBits); ++c) t[size_t(c)] = std::isfinite(T::decode(uint8_t(c)));
    return t;
  }();
  return table;
}

template <typename T>
struct ScaledCodec {
  // src[n] fp32 (finite) -> dst[row_bytes(n)] packed codes; *scale = the row scale.
  static void encode_row(const float* src, int64_t n, uint8_t* dst, float* scale) {
    float amax = 0.0f;
    for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(src[i]));
    const float s = row_scale(amax, T::kMaxCodeValue);
    uint8_t codes[T::kBlockSize];
    for (int64_t b = 0; b < n; b += T::kBlockSize) {
      for (int j = 0; j < T::kBlockSize; ++j)
        codes[j] = b + j < n ? T::encode(src[b + j] / s) : uint8_t(0);
      T::pack(codes, dst + b / T::kBlockSize * T::kBlockBytes);
    }
    *scale = s;
  }

  // src packed row -> dst[n] fp32 = decode(code) * scale.
  static void decode_row(const uint8_t* src, float scale, int64_t n, float* dst) {
    uint8_t codes[T::kBlockSize];
    for (int64_t b = 0; b < n; b += T::kBlockSize) {
      T::unpack(src + b / T::kBlockSize * T::kBlockBytes, codes);
      for (int j = 0; j < T::kBlockSize && b + j < n; ++j) dst[b + j] = T::decode(codes[j]) * scale;
    }
  }

  // sum_i decode(code_i) * x[i], accumulated in fp32 in index order, times scale once.
  static float dot_row(const uint8_t* src, float scale, const float* x, int64_t n) {
    uint8_t codes[T::kBlockSize];
    float acc = 0.0f;
    for (int64_t b = 0; b < n; b += T::kBlockSize) {
      T::unpack(src + b / T::kBlockSize * T::kBlockBytes, codes);
      for (int j = 0; j < T::kBlockSize && b + j < n; ++j) acc += T::decode(codes[j]) * x[b + j];
    }
    return acc * scale;
  }

  // Codes are at most 8 bits: which decode to a finite value is a 256-entry table.
  static int64_t first_non_finite(const uint8_t* src, int64_t n) {
    const std::array<bool, 256>& finite = finite_codes<T>();
    static const bool all = std::all_of(finite.begin(), finite.begin() + (1 << T::kBits), [](bool f) { return f; });
    if (all) return -1;  // every code of this format is finite (int8, fp6)
    uint8_t codes[T::kBlockSize];
    for (int64_t b = 0; b < n; b += T::kBlockSize) {
      T::unpack(src + b / T::kBlockSize * T::kBlockBytes, codes);
      for (int j = 0; j < T::kBlockSize && b + j < n; ++j)
        if (!finite[codes[j]]) return b + j;
    }
    return -1;
  }

  static constexpr CodecRecord record(WeightFormat format, const char* name) {
    return CodecRecord{format,         name,          T::kBits,     T::kBlockSize,
                       T::kBlockBytes, true,          T::kMaxCodeValue,
                       &encode_row,    &decode_row,   &dot_row,     &first_non_finite};
  }
};

}  // namespace llmrun::quant
