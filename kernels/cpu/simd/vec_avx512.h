#pragma once
// The 16 x fp32 vector layer the shared kernels (linear_kernels.h) are written against;
// include only from files compiled with the AVX-512 flags of linear_avx512.cpp.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/simd/exp_f32.h"

namespace llmrun::cpu::simd {
namespace {

struct VecAvx512 {
  using V = __m512;
  static constexpr int kLanes = 16;
  // The prefill micro-kernel's accumulators: 2 vectors of rows x 12 tokens, 24 of the 32
  // registers (2 hold the rows' weights, the broadcasts are folded into the FMAs).
  static constexpr int kGemmRowVecs = 2;
  static constexpr int kGemmTokens = 12;
  // Tokens per dot-product micro-kernel (few tokens; 4 rows each): 4 x 6 accumulators + 10 operands of the 32 registers.
  static constexpr int kGemmDotTokens = 6;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float f) { return _mm512_set1_ps(f); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  // The first n (< kLanes) lanes only: zeros past them on load, memory untouched on store.
  static __mmask16 first(int n) { return __mmask16((1u << n) - 1); }
  static V load_first(const float* p, int n) { return _mm512_maskz_loadu_ps(first(n), p); }
  static void store_first(float* p, V v, int n) { _mm512_mask_storeu_ps(p, first(n), v); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }
  static float hsum(V v) {
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static __m256 fold(V v) {
    return _mm256_add_ps(_mm512_castps512_ps256(v),
                         _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  }
  // o[0..4) += the horizontal sums of a0..a3.
  static void add_hsum4(float* o, V a0, V a1, V a2, V a3) {
    __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(fold(a0), fold(a1)), _mm256_hadd_ps(fold(a2), fold(a3)));
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    _mm_storeu_ps(o, _mm_add_ps(_mm_loadu_ps(o), r));
  }
  // max(a, b) per lane; a NaN in b comes out (maxps returns its second operand then).
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static float hmax(V v) { return _mm512_reduce_max_ps(v); }
  // The steps of vec_exp (exp_f32.h).
  using Mask = __mmask16;
  static V min(V a, V b) { return _mm512_min_ps(a, b); }  // a NaN in b comes out
  static V round(V v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a * b
  static Mask less(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static V zero_where(Mask m, V v) { return _mm512_maskz_mov_ps(__mmask16(~m), v); }
  // 2^n for integral n in [-126, 127], from the exponent bits.
  static V pow2(V n) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23));
  }
  static V exp(V x) { return vec_exp<VecAvx512>(x); }
  // Integer products (the single-token GEMV of integer codes, linear_kernels.h): I holds
  // kI16Lanes int16 or kLanes int32.
  using I = __m512i;
  static constexpr int kI16Lanes = 32;
  static I load_i16(const int16_t* p) { return _mm512_loadu_si512(p); }
  static I madd_i16(I a, I b) { return _mm512_madd_epi16(a, b); }  // pairs of int16 products summed into int32
  static I add_i32(I a, I b) { return _mm512_add_epi32(a, b); }
  static V to_float(I a) { return _mm512_cvtepi32_ps(a); }
  static V abs(V v) { return _mm512_abs_ps(v); }
  // q[0..16) = x[0..16) * scale rounded to nearest even; the caller keeps |x * scale| <= 32767.
  static void round_to_i16(const float* x, float scale, int16_t* q) {
    const __m512i a = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x), _mm512_set1_ps(scale)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), _mm512_cvtepi32_epi16(a));
  }
};

}  // namespace
}  // namespace llmrun::cpu::simd
