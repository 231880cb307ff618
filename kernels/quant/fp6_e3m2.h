#pragma once
// FP6 E3M2 as used by FP6-LLM (OCP MX "FP6 E3M2"), one value per 6-bit code: sign bit 5,
// exponent bits 4..2 (bias 3), mantissa bits 1..0. No infinities and no NaN: every code is
// finite, the largest is 0x1f = 1.75 * 2^4 = 28, the smallest subnormal 0x01 = 2^-4 = 0.0625.
//
// Encoding is bit-identical to NVIDIA's __nv_cvt_float_to_fp6(x, __NV_E3M2, cudaRoundNearest)
// for every fp32 input (tested exhaustively):
//   - round to nearest, ties to even; |x| > 28 saturates to +-28 (values below 30 would round
//     to 28 anyway), and so does +-inf;
//   - NaN of either sign gives +28 (0x1f), as NVIDIA does; the codecs never feed it NaN;
//   - -0 and negative values that round to zero give 0x20 (negative zero).
// ml_dtypes float6_e3m2fn agrees for every non-NaN input (it saturates too) but turns NaN
// into a signed zero.
//
// Host packing, 4 codes per 3-byte block: the codes c0..c3 form the little-endian 24-bit
// word w = c0 | c1 << 6 | c2 << 12 | c3 << 18, stored as bytes w[7:0], w[15:8], w[23:16]:
//   byte0 = c0[5:0]      | c1[1:0] << 6
//   byte1 = c1[5:2]      | c2[3:0] << 4
//   byte2 = c2[5:4]      | c3[5:0] << 2
// A row's last block is padded with code 0 (+0). CUDA kernels may re-pack this layout.
#include <cstdint>

#include "kernels/quant/half.h"
#include "kernels/quant/host_device.h"
#include "kernels/quant/minifloat.h"

namespace llmrun::quant {

constexpr uint8_t kFp6E3M2MaxCode = 0x1f;  // +28
constexpr float kFp6E3M2Max = 28.0f;

LLMRUN_HD uint8_t fp6_e3m2_from_f32(float x) {
  uint32_t u = f32_bits(x);
  uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return kFp6E3M2MaxCode;
  uint32_t code = minifloat_round_abs<3, 2, 3>(abs);
  if (code > kFp6E3M2MaxCode) code = kFp6E3M2MaxCode;
  return uint8_t(((u >> 26) & 0x20u) | code);
}

// Only the low 6 bits of code are read.
LLMRUN_HD float fp6_e3m2_to_f32(uint8_t code) {
  float v = minifloat_decode_abs<3, 2, 3>(code & 0x1fu);
  return (code & 0x20u) ? -v : v;
}

// codes[4] (6 bits each) -> block[3], layout above.
LLMRUN_HD void fp6_pack4(const uint8_t* codes, uint8_t* block) {
  uint32_t w = uint32_t(codes[0] & 0x3fu) | uint32_t(codes[1] & 0x3fu) << 6 |
               uint32_t(codes[2] & 0x3fu) << 12 | uint32_t(codes[3] & 0x3fu) << 18;
  block[0] = uint8_t(w);
  block[1] = uint8_t(w >> 8);
  block[2] = uint8_t(w >> 16);
}

// block[3] -> codes[4].
LLMRUN_HD void fp6_unpack4(const uint8_t* block, uint8_t* codes) {
  uint32_t w = uint32_t(block[0]) | uint32_t(block[1]) << 8 | uint32_t(block[2]) << 16;
  codes[0] = uint8_t(w & 0x3fu);
  codes[1] = uint8_t((w >> 6) & 0x3fu);
  codes[2] = uint8_t((w >> 12) & 0x3fu);
  codes[3] = uint8_t((w >> 18) & 0x3fu);
}

}  // namespace llmrun::quant
