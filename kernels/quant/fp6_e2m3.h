#pragma once
// FP6 E2M3 (OCP MX "FP6 E2M3"), one value per 6-bit code: sign bit 5, exponent bits 4..3
// (bias 1), mantissa bits 2..0. No infinities and no NaN: every code is finite, the largest
// is 0x1f = 1.875 * 2^2 = 7.5, the smallest subnormal 0x01 = 2^-3 = 0.125. One more
// mantissa bit than E3M2 and a narrower range: for weights scaled to their row's or group's
// largest magnitude the rounding error is about 4x smaller (issue 12's measurements).
//
// Encoding is bit-identical to NVIDIA's __nv_cvt_float_to_fp6(x, __NV_E2M3, cudaRoundNearest)
// for every fp32 input (tested exhaustively): round to nearest, ties to even; |x| > 7.5
// saturates to +-7.5 (as does +-inf); NaN gives +7.5 (0x1f); -0 and negative values that
// round to zero give 0x20. ml_dtypes float6_e2m3fn agrees for every non-NaN input.
// Packing (4 codes per 3 bytes) is the one in fp6_e3m2.h: fp6_pack4 / fp6_unpack4.
#include <cstdint>

#include "kernels/quant/fp6_e3m2.h"
#include "kernels/quant/half.h"
#include "kernels/quant/host_device.h"
#include "kernels/quant/minifloat.h"

namespace llmrun::quant {

constexpr uint8_t kFp6E2M3MaxCode = 0x1f;  // +7.5
constexpr float kFp6E2M3Max = 7.5f;

LLMRUN_HD uint8_t fp6_e2m3_from_f32(float x) {
  uint32_t u = f32_bits(x);
  uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return kFp6E2M3MaxCode;
  uint32_t code = minifloat_round_abs<2, 3, 1>(abs);
  if (code > kFp6E2M3MaxCode) code = kFp6E2M3MaxCode;
  return uint8_t(((u >> 26) & 0x20u) | code);
}

// Only the low 6 bits of code are read.
LLMRUN_HD float fp6_e2m3_to_f32(uint8_t code) {
  float v = minifloat_decode_abs<2, 3, 1>(code & 0x1fu);
  return (code & 0x20u) ? -v : v;
}

}  // namespace llmrun::quant
