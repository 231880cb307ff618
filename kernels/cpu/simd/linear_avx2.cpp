// AVX2 + FMA + F16C instantiation of linear_kernels.h (compiled with -mavx2 -mfma -mf16c).
#include "kernels/cpu/simd/decode_avx2.h"
#include "kernels/cpu/simd/linear_kernels.h"
#include "kernels/cpu/simd/vec_avx2.h"

namespace llmrun::cpu::simd {

// Both ISA files decode the same formats (no default: a new enum value warns here).
bool simd_handles(WeightFormat format) {
  switch (format) {
    case WeightFormat::f32:
    case WeightFormat::f16:
    case WeightFormat::bf16:
    case WeightFormat::int8:
    case WeightFormat::fp8_e4m3:
    case WeightFormat::fp6_e3m2:
    case WeightFormat::fp6_e2m3:
    case WeightFormat::int8_g32:
    case WeightFormat::fp8_g32:
    case WeightFormat::fp6_e2m3_g32:
    case WeightFormat::int8_g64:
    case WeightFormat::fp8_g64:
    case WeightFormat::fp6_e2m3_g64: return true;
  }
  return false;
}

void linear_avx2(const LinearProblem& p) {
  switch (p.codec->format) {
    case WeightFormat::f32: return run<VecAvx2>(DecodeF32{}, p);
    case WeightFormat::f16: return run<VecAvx2>(DecodeF16{}, p);
    case WeightFormat::bf16: return run<VecAvx2>(DecodeBF16{}, p);
    case WeightFormat::int8: return run<VecAvx2>(DecodeInt8{}, p);
    case WeightFormat::fp8_e4m3:
      if (p.lut_decode) return run<VecAvx2>(DecodeFp8Table{p.fp8_table}, p);
      return run<VecAvx2>(DecodeFp8Bits{}, p);
    case WeightFormat::fp6_e3m2:
    case WeightFormat::fp6_e2m3:
      if (p.lut_decode) {
        DecodeFp6Table dec;
        dec.table = p.fp6_table;
        return run<VecAvx2>(dec, p);
      }
      if (p.codec->format == WeightFormat::fp6_e2m3) return run<VecAvx2>(DecodeFp6Bits<2>{}, p);
      return run<VecAvx2>(DecodeFp6Bits<3>{}, p);
    // The table decoders (lut) are not offered for the grouped formats.
    case WeightFormat::int8_g32: return run<VecAvx2>(DecodeGrouped<VecAvx2, DecodeInt8, 32>{}, p);
    case WeightFormat::fp8_g32: return run<VecAvx2>(DecodeGrouped<VecAvx2, DecodeFp8Bits, 32>{}, p);
    case WeightFormat::fp6_e2m3_g32: return run<VecAvx2>(DecodeGrouped<VecAvx2, DecodeFp6Bits<2>, 32>{}, p);
    case WeightFormat::int8_g64: return run<VecAvx2>(DecodeGrouped<VecAvx2, DecodeInt8, 64>{}, p);
    case WeightFormat::fp8_g64: return run<VecAvx2>(DecodeGrouped<VecAvx2, DecodeFp8Bits, 64>{}, p);
    case WeightFormat::fp6_e2m3_g64: return run<VecAvx2>(DecodeGrouped<VecAvx2, DecodeFp6Bits<2>, 64>{}, p);
  }
  __builtin_trap();  // linear.cpp checks simd_handles() first
}

}  // namespace llmrun::cpu::simd
