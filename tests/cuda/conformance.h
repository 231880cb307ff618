#pragma once
// What every CUDA-kernel test compares with, and how closely. The reference is always the
// CPU backend (or a plain loop beside it) fed the same inputs, already rounded to the
// activation dtype; the tolerances are derived here, once, never tuned by trial:
//
//   out = round_act(sum_k w_k * x_k) with fp32 accumulation in both implementations, but in
//   different orders. Two fp32 summation orders of K terms differ by at most
//   2 * K * u32 * sum_k |w_k x_k| (u32 = 2^-24; the classic recursive-summation bound, applied
//   to both sides), and rounding the result to the activation dtype adds u_act * |ref|
//   (u_act = 2^-8 bf16, 2^-11 fp16, 0 fp32), plus the same again when the reference itself
//   was rounded (the comparison is against the unrounded fp32 reference, so once).
//   Transcendentals (exp, rsqrt on the device) add a few ulps: kTranscendentalUlps * u32 per
//   use, relative.
// A NaN or inf where the reference is finite always fails, whatever the tolerance.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace llmrun::testing {

enum class ActType { f32, bf16, f16 };

inline const char* act_name(ActType t) { return t == ActType::f32 ? "f32" : t == ActType::bf16 ? "bf16" : "f16"; }

constexpr double kU32 = 5.9604644775390625e-8;  // 2^-24
inline double unit_roundoff(ActType t) {
  return t == ActType::f32 ? 0.0 : t == ActType::bf16 ? 0.00390625 /* 2^-8 */ : 0.00048828125 /* 2^-11 */;
}
// Rounding a value to the activation dtype: RNE gives |error| <= u_act * |x| in the normal
// range and half the smallest subnormal below it (2^-25 for fp16, 2^-134 for bf16).
inline double act_rounding(ActType t, double x) {
  const double half_tiny = t == ActType::f16 ? 2.98023223876953125e-8 : t == ActType::bf16 ? 1e-40 : 0.0;
  return unit_roundoff(t) * std::fabs(x) + half_tiny;
}

// CUDA's fast exp/rsqrt are within 2 ulps (CUDA C Programming Guide, accuracy tables); we
// allow 4 per transcendental step to cover the argument's own rounding.
constexpr double kTranscendentalUlps = 4.0;

// |got_i - ref_i| <= bound_i for every i; NaN/inf in got where ref is finite fails. Reports
// the first few offenders and the worst ratio error/bound.
inline ::testing::AssertionResult all_within(const std::vector<float>& got, const std::vector<float>& ref,
                                             const std::vector<double>& bound, const std::string& what) {
  if (got.size() != ref.size() || bound.size() != ref.size())
    return ::testing::AssertionFailure() << what << ": sizes " << got.size() << " vs " << ref.size() << " vs "
                                         << bound.size();
  std::ostringstream bad;
  size_t failures = 0;
  double worst = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double r = ref[i], g = got[i];
    bool ok;
    if (!std::isfinite(r)) ok = (std::isnan(r) && std::isnan(g)) || g == r;
    else ok = std::isfinite(g) && std::fabs(g - r) <= bound[i];
    if (std::isfinite(r) && std::isfinite(g) && bound[i] > 0) worst = std::max(worst, std::fabs(g - r) / bound[i]);
    if (!ok && failures++ < 8)
      bad << "\n  [" << i << "] got " << g << " ref " << r << " |diff| " << std::fabs(g - r) << " bound " << bound[i];
  }
  if (failures)
    return ::testing::AssertionFailure() << what << ": " << failures << " of " << ref.size()
                                         << " outside the derived bound" << bad.str();
  return ::testing::AssertionSuccess() << what << ": worst error/bound " << worst;
}

// The dot-product bound above for one output: sum_abs = sum_k |w_k x_k|, K terms.
inline double dot_bound(ActType out, double ref, double sum_abs, int64_t k) {
  return act_rounding(out, ref) + 2.0 * double(k) * kU32 * sum_abs + 1e-30;
}

}  // namespace llmrun::testing
