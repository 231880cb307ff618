#pragma once
// The vector e^x of the SIMD kernels, written once over a vector layer (vec_avx2.h,
// vec_avx512.h): Cephes' expf. With n = round(x log2 e) and r = x - n ln 2 (ln 2 split in
// two so n ln 2 is exact), e^x = 2^n (1 + r + r^2 P(r)); P is degree 5 on |r| <= ln2/2,
// within 2 ulp of e^x for normal results. Below kExpMin (where e^x leaves the normal
// range; -inf included) the result is 0; it is right up to x = 88 (past that 2^n
// overflows first: inf). Softmax only asks for x <= 0.
namespace llmrun::cpu::simd {

constexpr float kExpMin = -87.3365447505531f;  // ln(FLT_MIN)
constexpr float kExpMax = 88.3762626647949f;   // clamp: 2^n is inf from here on
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;         // 8 significant bits: n * kLn2Hi is exact
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kExpPoly[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                               4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

// e^x per lane: e^-inf = 0, NaN stays NaN (min and max pass a NaN in their second operand).
template <typename Vec>
typename Vec::V vec_exp(typename Vec::V x) {
  using V = typename Vec::V;
  const auto tiny = Vec::less(x, Vec::set1(kExpMin));
  x = Vec::max(Vec::set1(kExpMin), Vec::min(Vec::set1(kExpMax), x));
  const V n = Vec::round(Vec::mul(x, Vec::set1(kLog2e)));
  V r = Vec::fnma(n, Vec::set1(kLn2Hi), x);
  r = Vec::fnma(n, Vec::set1(kLn2Lo), r);
  V y = Vec::set1(kExpPoly[0]);
  for (int i = 1; i < 6; ++i) y = Vec::fma(y, r, Vec::set1(kExpPoly[i]));
  y = Vec::fma(y, Vec::mul(r, r), Vec::add(r, Vec::set1(1.0f)));
  return Vec::zero_where(tiny, Vec::mul(y, Vec::pow2(n)));
}

}  // namespace llmrun::cpu::simd
