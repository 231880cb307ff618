#pragma once
// The element codes of the scaled formats as traits (scaled_codec.h and grouped_codec.h
// document the members): one struct per code, shared by the per-row and per-group records.
// round_scaled(v) is decode(encode(v)) for finite v, without the code: what a scale search
// needs (tests/quant/test_codec_exhaustive.cpp checks it against the two for every fp32).
#include <cmath>
#include <cstdint>

#include "kernels/quant/fp6_e2m3.h"
#include "kernels/quant/fp6_e3m2.h"
#include "kernels/quant/fp8_e4m3.h"
#include "kernels/quant/int8.h"
#include "kernels/quant/scaled_codec.h"

namespace llmrun::quant {

struct Int8Traits : OneCodePerByte {
  static constexpr int kBits = 8;
  static constexpr float kMaxCodeValue = float(kInt8MaxCode);
  static uint8_t encode(float scaled) { return uint8_t(int8_from_scaled(scaled)); }
  static float decode(uint8_t code) { return int8_to_f32(int8_t(code)); }
  // decode(encode(v)) for finite v (+ 0.0f turns rintf's -0 into the +0 that code 0 decodes to).
  static float round_scaled(float v) { return rintf(v < -127.0f ? -127.0f : v > 127.0f ? 127.0f : v) + 0.0f; }
};

struct Fp8E4M3Traits : OneCodePerByte {
  static constexpr int kBits = 8;
  static constexpr float kMaxCodeValue = kFp8E4M3Max;
  static uint8_t encode(float scaled) { return fp8_e4m3_from_f32(scaled); }
  static float decode(uint8_t code) { return fp8_e4m3_to_f32(code); }
  static float round_scaled(float v) { return minifloat_round_value<4, 3, 7>(v, kFp8E4M3Max); }
};

// 4 codes per 3 bytes (fp6_e3m2.h's packing) for both fp6 codes.
struct Fp6Packing {
  static constexpr int kBits = 6;
  static constexpr int kBlockSize = 4;
  static constexpr int kBlockBytes = 3;
  static void pack(const uint8_t* codes, uint8_t* block) { fp6_pack4(codes, block); }
  static void unpack(const uint8_t* block, uint8_t* codes) { fp6_unpack4(block, codes); }
};

struct Fp6E3M2Traits : Fp6Packing {
  static constexpr float kMaxCodeValue = kFp6E3M2Max;
  static uint8_t encode(float scaled) { return fp6_e3m2_from_f32(scaled); }
  static float decode(uint8_t code) { return fp6_e3m2_to_f32(code); }
  static float round_scaled(float v) { return minifloat_round_value<3, 2, 3>(v, kFp6E3M2Max); }
};

struct Fp6E2M3Traits : Fp6Packing {
  static constexpr float kMaxCodeValue = kFp6E2M3Max;
  static uint8_t encode(float scaled) { return fp6_e2m3_from_f32(scaled); }
  static float decode(uint8_t code) { return fp6_e2m3_to_f32(code); }
  static float round_scaled(float v) { return minifloat_round_value<2, 3, 1>(v, kFp6E2M3Max); }
};

}  // namespace llmrun::quant
