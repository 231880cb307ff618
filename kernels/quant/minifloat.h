#pragma once
// Shared rounding and decoding for the small binary floats (fp8 E4M3, fp6 E3M2): a format
// with kExp exponent bits, kMan mantissa bits and exponent bias kBias, stored as a sign bit
// above a magnitude code (exponent field << kMan | mantissa field). Integer-only so that host
// and device give the same bits whatever the FP environment; the per-format headers add the
// sign, NaN handling and saturation.
#include <cstdint>

#include "kernels/quant/half.h"
#include "kernels/quant/host_device.h"

namespace llmrun::quant {

// Magnitude code of the fp32 magnitude abs_bits (sign bit clear; finite or +inf, not NaN),
// rounded to nearest, ties to even. Not saturated: a result above the format's largest
// finite code means "overflow" and the caller clamps it (inf gives a large code too).
template <int kExp, int kMan, int kBias>
LLMRUN_HD uint32_t minifloat_round_abs(uint32_t abs_bits) {
  static_assert(kExp >= 2 && kMan >= 1 && kExp + kMan <= 7, "a small float");
  constexpr uint32_t kMinNormalBits = uint32_t(127 + 1 - kBias) << 23;  // 2^(1-kBias)
  constexpr int kDrop = 23 - kMan;                                       // fp32 mantissa bits dropped
  if (abs_bits >= kMinNormalBits) {
    // Normal (or overflow): round the fp32 bits at the kMan-th mantissa bit; a carry out of
    // the mantissa bumps the exponent, which is the correct next binade.
    uint32_t rounded = abs_bits + ((1u << (kDrop - 1)) - 1u) + ((abs_bits >> kDrop) & 1u);
    return (rounded >> kDrop) - (uint32_t(127 - kBias) << kMan);
  }
  // Subnormal result: code = |x| / 2^(1-kBias-kMan) rounded to an integer. With the fp32
  // significand m (implicit bit set, 24 bits) and exponent field e, |x| = m * 2^(e-150), so
  // code = m >> s with s = 151 - kBias - kMan - e (s >= 24 - kMan > 0 here).
  uint32_t e = abs_bits >> 23;
  if (e == 0) return 0;  // fp32 zero or subnormal: far below half the smallest code
  int s = 151 - kBias - kMan - int(e);
  if (s > 24) return 0;  // |x| < 2^-1 code units (m < 2^24): rounds to zero
  uint32_t m = (abs_bits & 0x7fffffu) | 0x800000u;
  uint32_t q = m >> s;
  uint32_t rest = m & ((1u << s) - 1u);
  uint32_t half = 1u << (s - 1);
  if (rest > half || (rest == half && (q & 1u))) ++q;  // may carry into the min normal code
  return q;
}

// fp32 value of a magnitude code (no NaN handling: the caller checks its NaN codes).
template <int kExp, int kMan, int kBias>
LLMRUN_HD float minifloat_decode_abs(uint32_t abs_code) {
  uint32_t exp = abs_code >> kMan;
  uint32_t man = abs_code & ((1u << kMan) - 1u);
  if (exp == 0) {
    // Subnormal: man * 2^(1-kBias-kMan), exact in fp32.
    constexpr uint32_t kQuantumBits = uint32_t(127 + 1 - kBias - kMan) << 23;
    return float(man) * f32_from_bits(kQuantumBits);
  }
  return f32_from_bits(((exp + 127u - uint32_t(kBias)) << 23) | (man << (23 - kMan)));
}

// decode(encode(x)) in float arithmetic, for the scale searches that try many scales per
// group: x's magnitude, capped at the largest value max_value, rounded to the format's grid
// (ties to even), with x's sign. Adding 2^23 quanta of x's binade and subtracting them again
// rounds to a whole number of quanta in the FPU's round-to-nearest-even, as
// minifloat_round_abs does in integers, so the two agree for every finite fp32 input
// (tests/quant/test_codec_exhaustive.cpp walks them all); this one has no branches, so a
// search loop over a group vectorizes. (The cap comes first: a larger magnitude rounds to
// max_value anyway, and the quanta of huge binades would overflow.)
template <int kExp, int kMan, int kBias>
LLMRUN_HD float minifloat_round_value(float x, float max_value) {
  constexpr uint32_t kMinNormalBits = uint32_t(127 + 1 - kBias) << 23;
  const float magnitude = f32_from_bits(f32_bits(x) & 0x7fffffffu);
  const float a = magnitude < max_value ? magnitude : max_value;
  uint32_t binade = f32_bits(a) & 0x7f800000u;
  binade = binade > kMinNormalBits ? binade : kMinNormalBits;
  const float quanta = f32_from_bits(binade + (uint32_t(23 - kMan) << 23));
  const float r = (a + quanta) - quanta;
  return f32_from_bits(f32_bits(r) | (f32_bits(x) & 0x80000000u));
}

}  // namespace llmrun::quant
