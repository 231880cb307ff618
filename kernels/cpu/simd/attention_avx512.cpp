// AVX-512 instantiation of attention_kernels.h (compiled with linear_avx512.cpp's flags).

// GCC 12's false "uninitialized" warning on _mm512_undefined_*() inside its own intrinsics
// (GCC bug 105593; see linear_avx512.cpp): silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "kernels/cpu/simd/attention_kernels.h"
#include "kernels/cpu/simd/vec_avx512.h"

namespace llmrun::cpu::simd {

void attention_avx512(const AttentionProblem& p) { run_attention<VecAvx512>(p); }

void exp_avx512(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += VecAvx512::kLanes) VecAvx512::store(y + i, VecAvx512::exp(VecAvx512::load(x + i)));
}

}  // namespace llmrun::cpu::simd
