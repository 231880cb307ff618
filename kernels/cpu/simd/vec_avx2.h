#pragma once
// The 8 x fp32 vector layer the shared kernels (linear_kernels.h) are written against;
// include only from files compiled with -mavx2 -mfma -mf16c.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/simd/exp_f32.h"

namespace llmrun::cpu::simd {
namespace {

struct VecAvx2 {
  using V = __m256;
  static constexpr int kLanes = 8;
  // The prefill micro-kernel's accumulators: 2 vectors of rows x 6 tokens, 12 of the 16
  // registers (2 hold the rows' weights, 1 the broadcast).
  static constexpr int kGemmRowVecs = 2;
  static constexpr int kGemmTokens = 6;
  // Tokens per dot-product micro-kernel (few tokens; 4 rows each): 4 x 3 accumulators + 4 operands of the 16 registers.
  static constexpr int kGemmDotTokens = 3;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float f) { return _mm256_set1_ps(f); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  // The first n (< kLanes) lanes only: zeros past them on load, memory untouched on store.
  static __m256i first(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
  static V load_first(const float* p, int n) { return _mm256_maskload_ps(p, first(n)); }
  static void store_first(float* p, V v, int n) { _mm256_maskstore_ps(p, first(n), v); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }
  static float hsum(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  // o[0..4) += the horizontal sums of a0..a3.
  static void add_hsum4(float* o, V a0, V a1, V a2, V a3) {
    __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    _mm_storeu_ps(o, _mm_add_ps(_mm_loadu_ps(o), r));
  }
  // max(a, b) per lane; a NaN in b comes out (maxps returns its second operand then).
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static float hmax(V v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
  }
  // The steps of vec_exp (exp_f32.h).
  using Mask = __m256;
  static V min(V a, V b) { return _mm256_min_ps(a, b); }  // a NaN in b comes out
  static V round(V v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }  // c - a * b
  static Mask less(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static V zero_where(Mask m, V v) { return _mm256_andnot_ps(m, v); }
  // 2^n for integral n in [-126, 127], from the exponent bits.
  static V pow2(V n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
  }
  static V exp(V x) { return vec_exp<VecAvx2>(x); }
  // Integer products (the single-token GEMV of integer codes, linear_kernels.h): I holds
  // kI16Lanes int16 or kLanes int32.
  using I = __m256i;
  static constexpr int kI16Lanes = 16;
  static I load_i16(const int16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static I madd_i16(I a, I b) { return _mm256_madd_epi16(a, b); }  // pairs of int16 products summed into int32
  static I add_i32(I a, I b) { return _mm256_add_epi32(a, b); }
  static V to_float(I a) { return _mm256_cvtepi32_ps(a); }
  static V abs(V v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
  // q[0..16) = x[0..16) * scale rounded to nearest even; the caller keeps |x * scale| <= 32767.
  static void round_to_i16(const float* x, float scale, int16_t* q) {
    const __m256 s = _mm256_set1_ps(scale);
    const __m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x), s));
    const __m256i b = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8), s));
    // packs works per 128-bit half (a0-3 b0-3 a4-7 b4-7): put the quarters back in order.
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xd8));
  }
};

}  // namespace
}  // namespace llmrun::cpu::simd
