#pragma once
// SIMD elementwise kernels (elementwise_kernels.h), one instantiation per ISA like the
// linear kernels (linear_simd.h: same flags, raw pointers in). Reached only through
// kernels/cpu/elementwise.cpp after a CPU feature check; its scalar loops are the reference.
#include <cstdint>

namespace llmrun::cpu::simd {

// out[i] = g / (1 + e^-g) * up[i] with g = gate[i], i < n, through the kernels' vector e^x
// (exp_f32.h, <= 2 ulp).
void swiglu_avx2(const float* gate, const float* up, float* out, int64_t n);
void swiglu_avx512(const float* gate, const float* up, float* out, int64_t n);

}  // namespace llmrun::cpu::simd
