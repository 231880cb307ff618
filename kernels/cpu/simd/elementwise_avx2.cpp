// AVX2 instantiation of elementwise_kernels.h (compiled with linear_avx2.cpp's flags).
#include "kernels/cpu/simd/elementwise_kernels.h"
#include "kernels/cpu/simd/vec_avx2.h"

namespace llmrun::cpu::simd {

void swiglu_avx2(const float* gate, const float* up, float* out, int64_t n) { swiglu_span<VecAvx2>(gate, up, out, n); }

}  // namespace llmrun::cpu::simd
