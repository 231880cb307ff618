#pragma once
// OCP FP8 E4M3FN, one value per byte: sign bit 7, exponent bits 6..3 (bias 7), mantissa
// bits 2..0. No infinities; S.1111.111 (0x7f, 0xff) is NaN, so the largest finite value is
// 0x7e = 1.75 * 2^8 = 448 and the smallest subnormal is 0x01 = 2^-9.
//
// Encoding is bit-identical to NVIDIA's __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3)
// for every fp32 input (tested exhaustively):
//   - round to nearest, ties to even; |x| > 464 (halfway from 448 to the would-be 480)
//     saturates to +-448, and so does +-inf;
//   - NaN of either sign gives 0x7f (NVIDIA drops the sign);
//   - -0 and negative values that round to zero give 0x80 (negative zero).
// ml_dtypes float8_e4m3fn agrees for |x| <= 464 but does not saturate: larger values and
// inf become NaN there, and it keeps a NaN's sign.
#include <cstdint>

#include "kernels/quant/half.h"
#include "kernels/quant/host_device.h"
#include "kernels/quant/minifloat.h"

namespace llmrun::quant {

constexpr uint8_t kFp8E4M3MaxCode = 0x7e;  // +448
constexpr uint8_t kFp8E4M3NaN = 0x7f;
constexpr float kFp8E4M3Max = 448.0f;

LLMRUN_HD uint8_t fp8_e4m3_from_f32(float x) {
  uint32_t u = f32_bits(x);
  uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return kFp8E4M3NaN;
  uint32_t code = minifloat_round_abs<4, 3, 7>(abs);
  if (code > kFp8E4M3MaxCode) code = kFp8E4M3MaxCode;  // saturate (0x7f would be NaN)
  return uint8_t(((u >> 24) & 0x80u) | code);
}

// NaN codes decode to a positive quiet NaN; -0 decodes to -0.0f.
LLMRUN_HD float fp8_e4m3_to_f32(uint8_t code) {
  if ((code & 0x7fu) == 0x7fu) return f32_from_bits(0x7fc00000u);
  float v = minifloat_decode_abs<4, 3, 7>(code & 0x7fu);
  return (code & 0x80u) ? -v : v;
}

}  // namespace llmrun::quant
