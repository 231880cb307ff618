#pragma once
// The elementwise kernels, written once against a vector layer (vec_avx2.h, vec_avx512.h);
// included only by elementwise_avx2.cpp and elementwise_avx512.cpp (internal linkage, as
// linear_kernels.h).
#include <cstdint>

#include "kernels/cpu/simd/elementwise_simd.h"

namespace llmrun::cpu::simd {
namespace {

template <class Vec>
typename Vec::V silu_times(typename Vec::V g, typename Vec::V u) {
  // The reference's order: g / (1 + e^-g), then times up. e^-g = inf for g < -88.4 gives -0.
  const typename Vec::V e = Vec::exp(Vec::sub(Vec::zero(), g));
  return Vec::mul(Vec::div(g, Vec::add(Vec::set1(1.0f), e)), u);
}

template <class Vec>
void swiglu_span(const float* gate, const float* up, float* out, int64_t n) {
  constexpr int L = Vec::kLanes;
  int64_t i = 0;
  for (; i + L <= n; i += L) Vec::store(out + i, silu_times<Vec>(Vec::load(gate + i), Vec::load(up + i)));
  if (i < n) {
    const int left = int(n - i);
    Vec::store_first(out + i, silu_times<Vec>(Vec::load_first(gate + i, left), Vec::load_first(up + i, left)), left);
  }
}

}  // namespace
}  // namespace llmrun::cpu::simd
