// Q4_K, Q5_K, Q6_K: 256-element super-blocks of sub-blocks with their own scales.
// Q4_K/Q5_K: eight sub-blocks of 32, each with a 6-bit scale and a 6-bit min packed in
// 12 bytes, y = (d * scale) * q - (dmin * min). Q6_K: sixteen sub-blocks of 16 with int8
// scales, y = (d * scale) * (q - 32).
#include "loaders/gguf_dequant.h"
#include "loaders/gguf_dequant_blocks.h"

namespace llmrun::gguf_dequant {
namespace {

// Scale and min of sub-block j (0..7) from the 12 packed bytes (ggml's get_scale_min_k4):
// sub-blocks 0-3 use the low 6 bits of bytes j and j+4; 4-7 take 4 bits from byte j+4
// and their top 2 bits from the spare high bits of bytes j-4 and j.
void scale_min(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = uint8_t((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

}  // namespace

void q4_k(const uint8_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) {
    const BlockQ4_K b = load_block<BlockQ4_K>(src, i);
    const float d = half(b.d), dmin = half(b.dmin);
    const uint8_t* q = b.qs;
    for (int j = 0, is = 0; j < kQKK; j += 64, is += 2, q += 32) {
      uint8_t sc, m;
      scale_min(is, b.scales, &sc, &m);
      const float d1 = d * float(sc), m1 = dmin * float(m);
      scale_min(is + 1, b.scales, &sc, &m);
      const float d2 = d * float(sc), m2 = dmin * float(m);
      for (int l = 0; l < 32; ++l) *dst++ = d1 * float(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *dst++ = d2 * float(q[l] >> 4) - m2;
    }
  }
}

void q5_k(const uint8_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) {
    const BlockQ5_K b = load_block<BlockQ5_K>(src, i);
    const float d = half(b.d), dmin = half(b.dmin);
    const uint8_t* ql = b.qs;
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0, is = 0; j < kQKK; j += 64, is += 2, ql += 32, u1 = uint8_t(u1 << 2), u2 = uint8_t(u2 << 2)) {
      uint8_t sc, m;
      scale_min(is, b.scales, &sc, &m);
      const float d1 = d * float(sc), m1 = dmin * float(m);
      scale_min(is + 1, b.scales, &sc, &m);
      const float d2 = d * float(sc), m2 = dmin * float(m);
      for (int l = 0; l < 32; ++l) *dst++ = d1 * float((ql[l] & 0xF) + ((b.qh[l] & u1) ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *dst++ = d2 * float((ql[l] >> 4) + ((b.qh[l] & u2) ? 16 : 0)) - m2;
    }
  }
}

void q6_k(const uint8_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) {
    const BlockQ6_K b = load_block<BlockQ6_K>(src, i);
    const float d = half(b.d);
    const uint8_t* ql = b.ql;
    const uint8_t* qh = b.qh;
    const int8_t* sc = b.scales;
    for (int half_block = 0; half_block < 2; ++half_block, dst += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = int((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = int((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = int((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        dst[l] = d * float(sc[is]) * float(q1);
        dst[l + 32] = d * float(sc[is + 2]) * float(q2);
        dst[l + 64] = d * float(sc[is + 4]) * float(q3);
        dst[l + 96] = d * float(sc[is + 6]) * float(q4);
      }
    }
  }
}

}  // namespace llmrun::gguf_dequant
