// AVX2 + FMA instantiation of attention_kernels.h (compiled with linear_avx2.cpp's flags).
#include "kernels/cpu/simd/attention_kernels.h"
#include "kernels/cpu/simd/vec_avx2.h"

namespace llmrun::cpu::simd {

void attention_avx2(const AttentionProblem& p) { run_attention<VecAvx2>(p); }

void exp_avx2(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += VecAvx2::kLanes) VecAvx2::store(y + i, VecAvx2::exp(VecAvx2::load(x + i)));
}

}  // namespace llmrun::cpu::simd
