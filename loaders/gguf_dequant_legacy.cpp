// Q4_0, Q4_1, Q5_0, Q5_1, Q8_0: 32 elements per block, one fp16 scale d (and an fp16
// offset m for the _1 types). Low nibbles are elements 0..15, high nibbles 16..31; Q5's
// fifth bits come from the u32 qh (bit j for element j).
#include "loaders/gguf_dequant.h"
#include "loaders/gguf_dequant_blocks.h"

namespace llmrun::gguf_dequant {
namespace {

uint32_t u32_of(const uint8_t qh[4]) {
  return uint32_t(qh[0]) | uint32_t(qh[1]) << 8 | uint32_t(qh[2]) << 16 | uint32_t(qh[3]) << 24;
}

}  // namespace

void q4_0(const uint8_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i, dst += kQK) {
    const BlockQ4_0 b = load_block<BlockQ4_0>(src, i);
    const float d = half(b.d);
    for (int j = 0; j < kQK / 2; ++j) {
      const int x0 = (b.qs[j] & 0x0F) - 8;
      const int x1 = (b.qs[j] >> 4) - 8;
      dst[j] = float(x0) * d;
      dst[j + kQK / 2] = float(x1) * d;
    }
  }
}

void q4_1(const uint8_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i, dst += kQK) {
    const BlockQ4_1 b = load_block<BlockQ4_1>(src, i);
    const float d = half(b.d), m = half(b.m);
    for (int j = 0; j < kQK / 2; ++j) {
      dst[j] = float(b.qs[j] & 0x0F) * d + m;
      dst[j + kQK / 2] = float(b.qs[j] >> 4) * d + m;
    }
  }
}

void q5_0(const uint8_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i, dst += kQK) {
    const BlockQ5_0 b = load_block<BlockQ5_0>(src, i);
    const float d = half(b.d);
    const uint32_t qh = u32_of(b.qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const uint8_t h0 = uint8_t(((qh >> j) << 4) & 0x10);
      const uint8_t h1 = uint8_t((qh >> (j + 12)) & 0x10);
      const int x0 = ((b.qs[j] & 0x0F) | h0) - 16;
      const int x1 = ((b.qs[j] >> 4) | h1) - 16;
      dst[j] = float(x0) * d;
      dst[j + kQK / 2] = float(x1) * d;
    }
  }
}

void q5_1(const uint8_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i, dst += kQK) {
    const BlockQ5_1 b = load_block<BlockQ5_1>(src, i);
    const float d = half(b.d), m = half(b.m);
    const uint32_t qh = u32_of(b.qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const uint8_t h0 = uint8_t(((qh >> j) << 4) & 0x10);
      const uint8_t h1 = uint8_t((qh >> (j + 12)) & 0x10);
      dst[j] = float((b.qs[j] & 0x0F) | h0) * d + m;
      dst[j + kQK / 2] = float((b.qs[j] >> 4) | h1) * d + m;
    }
  }
}

void q8_0(const uint8_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i, dst += kQK) {
    const BlockQ8_0 b = load_block<BlockQ8_0>(src, i);
    const float d = half(b.d);
    for (int j = 0; j < kQK; ++j) dst[j] = float(b.qs[j]) * d;
  }
}

}  // namespace llmrun::gguf_dequant
