#pragma once
// In-register weight decoders for the AVX-512 kernels (F + BW + VL + VBMI); include only
// from linear_avx512.cpp. Same contract and the same bit moves as decode_avx2.h (read the
// derivations there), 16 lanes at a time: kStep weights from kStepBytes bytes (no byte
// outside them is read) into kStep / 16 vectors of decode(code) / kUnscale.
#include <immintrin.h>

#include <cstdint>

namespace llmrun::cpu::simd {
namespace {

struct Decode512F32 {
  static constexpr int kStep = 32, kStepBytes = 128;
  static constexpr float kUnscale = 1.0f;
  void operator()(const uint8_t* p, __m512* v) const {
    v[0] = _mm512_loadu_ps(p);
    v[1] = _mm512_loadu_ps(p + 64);
  }
};

struct Decode512F16 {
  static constexpr int kStep = 32, kStepBytes = 64;
  static constexpr float kUnscale = 1.0f;
  void operator()(const uint8_t* p, __m512* v) const {
    v[0] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    v[1] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)));
  }
};

struct Decode512BF16 {
  static constexpr int kStep = 32, kStepBytes = 64;
  static constexpr float kUnscale = 1.0f;
  void operator()(const uint8_t* p, __m512* v) const {
    for (int h = 0; h < 2; ++h) {
      __m512i u = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * h)));
      v[h] = _mm512_castsi512_ps(_mm512_slli_epi32(u, 16));
    }
  }
};

struct Decode512Int8 {
  static constexpr int kStep = 32, kStepBytes = 32;
  static constexpr float kUnscale = 1.0f;
  void operator()(const uint8_t* p, __m512* v) const {
    for (int h = 0; h < 2; ++h)
      v[h] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * h))));
  }
};

// E4M3 -> fp16 by moving fields (decode_avx2.h, DecodeFp8Bits).
struct Decode512Fp8Bits {
  static constexpr int kStep = 32, kStepBytes = 32;
  static constexpr float kUnscale = 256.0f;
  void operator()(const uint8_t* p, __m512* v) const {
    __m512i h = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    h = _mm512_and_si512(_mm512_slli_epi16(h, 7), _mm512_set1_epi16(int16_t(0xbfff)));
    v[0] = _mm512_cvtph_ps(_mm512_castsi512_si256(h));
    v[1] = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));
  }
};

struct Decode512Fp8Table {
  static constexpr int kStep = 32, kStepBytes = 32;
  static constexpr float kUnscale = 1.0f;
  const float* table;  // [256] code -> fp32
  void operator()(const uint8_t* p, __m512* v) const {
    for (int h = 0; h < 2; ++h) {
      __m512i idx = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * h)));
      v[h] = _mm512_i32gather_ps(idx, table, 4);
    }
  }
};

// fp6 unpacking: 32 codes from 24 bytes into 16-bit lanes, code in bits 15..10. A masked
// load reads exactly the 24 bytes; one full-width byte permute (VBMI) puts each code's byte
// pair in its lane, and a per-lane variable shift lifts code j of a block (at bit 0, 6, 4,
// 2 of its pair) to bit 10.
struct Fp6Unpack512 {
  static __m512i pairs() {
    alignas(64) int8_t idx[64];
    static constexpr int kLo[4] = {0, 0, 1, 2};
    for (int c = 0; c < 32; ++c) {
      const int lo = 3 * (c / 4) + kLo[c % 4];
      idx[2 * c] = int8_t(lo);
      idx[2 * c + 1] = int8_t(lo + 1);  // code 3's high byte is shifted out; byte 24 is a zero
    }
    return _mm512_load_si512(idx);
  }
  __m512i perm = pairs();
  __m512i shift = _mm512_set_epi16(8, 6, 4, 10, 8, 6, 4, 10, 8, 6, 4, 10, 8, 6, 4, 10,
                                   8, 6, 4, 10, 8, 6, 4, 10, 8, 6, 4, 10, 8, 6, 4, 10);
  __m512i operator()(const uint8_t* p) const {
    __m512i bytes = _mm512_castsi256_si512(_mm256_maskz_loadu_epi8(0x00ffffffu, p));
    return _mm512_sllv_epi16(_mm512_permutexvar_epi8(perm, bytes), shift);
  }
};

// E3M2 -> fp16 by moving fields (decode_avx2.h, DecodeFp6Bits).
struct Decode512Fp6Bits {
  static constexpr int kStep = 32, kStepBytes = 24;
  static constexpr float kUnscale = 4096.0f;
  Fp6Unpack512 unpack;
  void operator()(const uint8_t* p, __m512* v) const {
    __m512i f16 = _mm512_and_si512(_mm512_srai_epi16(unpack(p), 2), _mm512_set1_epi16(int16_t(0x9f00)));
    v[0] = _mm512_cvtph_ps(_mm512_castsi512_si256(f16));
    v[1] = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(f16, 1));
  }
};

struct Decode512Fp6Table {
  static constexpr int kStep = 32, kStepBytes = 24;
  static constexpr float kUnscale = 1.0f;
  Fp6Unpack512 unpack;
  const float* table;  // [64] code -> fp32
  void operator()(const uint8_t* p, __m512* v) const {
    __m512i idx16 = _mm512_srli_epi16(unpack(p), 10);
    v[0] = _mm512_i32gather_ps(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(idx16)), table, 4);
    v[1] = _mm512_i32gather_ps(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(idx16, 1)), table, 4);
  }
};

}  // namespace
}  // namespace llmrun::cpu::simd
