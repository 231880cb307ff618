// AVX-512 (F, BW, VL, VBMI) instantiation of linear_kernels.h, compiled with those flags
// plus -mfma -mf16c.

// GCC 12's avx512fintrin.h builds several conversions (cvtph_ps, cvtepi32_ps, gathers) on
// _mm512_undefined_*() and then warns that the undefined source is used uninitialized
// (a false positive, GCC bug 105593); silence it for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "kernels/cpu/simd/decode_avx512.h"
#include "kernels/cpu/simd/linear_kernels.h"
#include "kernels/cpu/simd/vec_avx512.h"

namespace llmrun::cpu::simd {

void linear_avx512(const LinearProblem& p) {
  switch (p.codec->format) {
    case WeightFormat::f32: return run<VecAvx512>(Decode512F32{}, p);
    case WeightFormat::f16: return run<VecAvx512>(Decode512F16{}, p);
    case WeightFormat::bf16: return run<VecAvx512>(Decode512BF16{}, p);
    case WeightFormat::int8: return run<VecAvx512>(Decode512Int8{}, p);
    case WeightFormat::fp8_e4m3:
      if (p.lut_decode) return run<VecAvx512>(Decode512Fp8Table{p.fp8_table}, p);
      return run<VecAvx512>(Decode512Fp8Bits{}, p);
    case WeightFormat::fp6_e3m2:
    case WeightFormat::fp6_e2m3:
      if (p.lut_decode) {
        Decode512Fp6Table dec;
        dec.table = p.fp6_table;
        return run<VecAvx512>(dec, p);
      }
      if (p.codec->format == WeightFormat::fp6_e2m3) return run<VecAvx512>(Decode512Fp6Permute<2>{}, p);
      return run<VecAvx512>(Decode512Fp6Permute<3>{}, p);
    // The table decoders (lut) are not offered for the grouped formats.
    case WeightFormat::int8_g32: return run<VecAvx512>(DecodeGrouped<VecAvx512, Decode512Int8, 32>{}, p);
    case WeightFormat::fp8_g32: return run<VecAvx512>(DecodeGrouped<VecAvx512, Decode512Fp8Bits, 32>{}, p);
    case WeightFormat::fp6_e2m3_g32: return run<VecAvx512>(DecodeGrouped<VecAvx512, Decode512Fp6E2M3, 32>{}, p);
    case WeightFormat::int8_g64: return run<VecAvx512>(DecodeGrouped<VecAvx512, Decode512Int8, 64>{}, p);
    case WeightFormat::fp8_g64: return run<VecAvx512>(DecodeGrouped<VecAvx512, Decode512Fp8Bits, 64>{}, p);
    case WeightFormat::fp6_e2m3_g64: return run<VecAvx512>(DecodeGrouped<VecAvx512, Decode512Fp6E2M3, 64>{}, p);
  }
  __builtin_trap();  // linear.cpp checks simd_handles() first
}

}  // namespace llmrun::cpu::simd
