// AVX-512 instantiation of elementwise_kernels.h (compiled with linear_avx512.cpp's flags).

// GCC 12's false "uninitialized" warning on _mm512_undefined_*() inside its own intrinsics
// (GCC bug 105593; see linear_avx512.cpp): silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "kernels/cpu/simd/elementwise_kernels.h"
#include "kernels/cpu/simd/vec_avx512.h"

namespace llmrun::cpu::simd {

void swiglu_avx512(const float* gate, const float* up, float* out, int64_t n) {
  swiglu_span<VecAvx512>(gate, up, out, n);
}

}  // namespace llmrun::cpu::simd
