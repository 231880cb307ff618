#pragma once
// In-register weight decoders for the AVX2 kernels; include only from files compiled with
// -mavx2 -mfma -mf16c (linear_avx2.cpp).
//
// A decoder turns one step of kStep weights (kStepBytes packed bytes, reading no byte
// outside them) into kStep / 8 vectors of fp32 (the interface linear_kernels.h expects). The vectors hold decode(code) / kUnscale:
// fp8 and fp6 are widened into fp16 with their exponent bias left as is, so the vectors
// are the codes' values times a power of two that the caller folds back in once per row
// (exact: a power-of-two multiply of a normal fp32). Every decoder is exact.
#include <immintrin.h>

#include <cstdint>

namespace llmrun::cpu::simd {
namespace {

struct DecodeF32 {
  static constexpr int kStep = 16, kStepBytes = 64;
  static constexpr float kUnscale = 1.0f;
  void operator()(const uint8_t* p, __m256* v) const {
    v[0] = _mm256_loadu_ps(reinterpret_cast<const float*>(p));
    v[1] = _mm256_loadu_ps(reinterpret_cast<const float*>(p) + 8);
  }
};

struct DecodeF16 {
  static constexpr int kStep = 16, kStepBytes = 32;
  static constexpr float kUnscale = 1.0f;
  void operator()(const uint8_t* p, __m256* v) const {
    v[0] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    v[1] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)));
  }
};

// bf16 is the top half of an fp32.
struct DecodeBF16 {
  static constexpr int kStep = 16, kStepBytes = 32;
  static constexpr float kUnscale = 1.0f;
  void operator()(const uint8_t* p, __m256* v) const {
    for (int h = 0; h < 2; ++h) {
      __m256i u = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * h)));
      v[h] = _mm256_castsi256_ps(_mm256_slli_epi32(u, 16));
    }
  }
};

struct DecodeInt8 {
  static constexpr int kStep = 16, kStepBytes = 16;
  static constexpr float kUnscale = 1.0f;
  void operator()(const uint8_t* p, __m256* v) const {
    for (int h = 0; h < 2; ++h) {
      __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 8 * h));
      v[h] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
    }
  }
  // Integer codes (linear_kernels.h, gemv_rows_int): 32 weights from kIntBlockBytes bytes
  // as two vectors of 16 int16, each kIntUnscale times the weight.
  static constexpr int kIntBlockBytes = 32, kIntUnscale = 1;
  void ints(const uint8_t* p, __m256i* v) const {
    for (int h = 0; h < 2; ++h) v[h] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * h)));
  }
};

// E4M3 S.EEEE.MMM -> fp16 S.0EEEE.MMM0000000: the same fields under fp16's bias 15
// instead of 7, i.e. the value times 2^-8; E4M3 subnormals land on fp16 subnormals with
// the same factor. Sign-extending the byte to 16 bits and shifting left by 7 puts the
// sign in bit 15 and the code's bits 6..0 in bits 13..7; bit 14 (a copy of the sign) is
// cleared. The NaN codes (0x7f, 0xff; never produced by the encoder) decode to +-480/256
// here instead of NaN.
struct DecodeFp8Bits {
  static constexpr int kStep = 16, kStepBytes = 16;
  static constexpr float kUnscale = 256.0f;
  void operator()(const uint8_t* p, __m256* v) const {
    __m256i h = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    h = _mm256_and_si256(_mm256_slli_epi16(h, 7), _mm256_set1_epi16(int16_t(0xbfff)));
    v[0] = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
    v[1] = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
  }
};

struct DecodeFp8Table {
  static constexpr int kStep = 16, kStepBytes = 16;
  static constexpr float kUnscale = 1.0f;
  const float* table;  // [256] code -> fp32
  void operator()(const uint8_t* p, __m256* v) const {
    for (int h = 0; h < 2; ++h) {
      __m256i idx = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 8 * h)));
      v[h] = _mm256_i32gather_ps(table, idx, 4);
    }
  }
};

// fp6 unpacking: 32 codes from 24 bytes (eight 3-byte blocks, layout in fp6_e3m2.h) into
// two vectors of 16 codes, code i of a vector in the top 6 bits (15..10) of 16-bit lane i.
// A byte shuffle puts the two bytes holding each code in its lane (in-lane only, so each
// 128-bit half is fed its own 6 bytes by a broadcast load), and a multiply by a per-lane
// power of two shifts code j of a block (at bit 0, 6, 4, 2 of its byte pair) up to bit 10.
struct Fp6Unpack {
  // Byte pair of each code in a 128-bit lane (8 codes = 2 blocks from the lane's 6 bytes,
  // starting at byte `base` of the lane); -1 zeroes the byte (code 3's high byte: unused).
  static __m256i shuffle(int base_lo, int base_hi) {
    alignas(32) int8_t idx[32];
    static constexpr int kLo[4] = {0, 0, 1, 2};
    for (int half = 0; half < 2; ++half)
      for (int c = 0; c < 8; ++c) {
        const int lo = (half ? base_hi : base_lo) + 3 * (c / 4) + kLo[c % 4];
        idx[16 * half + 2 * c] = int8_t(lo);
        idx[16 * half + 2 * c + 1] = c % 4 == 3 ? int8_t(-1) : int8_t(lo + 1);
      }
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(idx));
  }
  // Bytes 0..15 of the step in both halves: codes 0..7 from bytes 0..5, 8..15 from 6..11.
  __m256i first = shuffle(0, 6);
  // Bytes 8..23 in both halves: codes 16..23 from bytes 12..17, 24..31 from 18..23.
  __m256i second = shuffle(4, 10);
  __m256i shift = _mm256_setr_epi16(1 << 10, 1 << 4, 1 << 6, 1 << 8, 1 << 10, 1 << 4, 1 << 6, 1 << 8,
                                    1 << 10, 1 << 4, 1 << 6, 1 << 8, 1 << 10, 1 << 4, 1 << 6, 1 << 8);
  void operator()(const uint8_t* p, __m256i* codes) const {
    __m256i a = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    __m256i b = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8)));
    codes[0] = _mm256_mullo_epi16(_mm256_shuffle_epi8(a, first), shift);
    codes[1] = _mm256_mullo_epi16(_mm256_shuffle_epi8(b, second), shift);
  }
};

// fp6 -> fp16 by moving fields, subnormals included. With the code in bits 15..10, an
// arithmetic shift right leaves the sign in bit 15 and the magnitude bits at the bottom of
// fp16's exponent, and the mask keeps exactly those:
//   E3M2 S.EEE.MM  -> S.00EEE.MM00000000  shift 2, mask 0x9f00: value * 2^-12 (bias 15 vs 3)
//   E2M3 S.EE.MMM  -> S.000EE.MMM0000000  shift 3, mask 0x8f80: value * 2^-14 (bias 15 vs 1)
template <int kExp>  // 3: E3M2, 2: E2M3
struct DecodeFp6Bits {
  static constexpr int kStep = 32, kStepBytes = 24;
  static constexpr float kUnscale = kExp == 3 ? 4096.0f : 16384.0f;
  static constexpr int kShift = 5 - kExp;
  static constexpr int16_t kKeep = kExp == 3 ? int16_t(0x9f00) : int16_t(0x8f80);
  Fp6Unpack unpack;
  void operator()(const uint8_t* p, __m256* v) const {
    __m256i c[2];
    unpack(p, c);
    const __m256i keep = _mm256_set1_epi16(kKeep);
    for (int h = 0; h < 2; ++h) {
      __m256i f16 = _mm256_and_si256(_mm256_srai_epi16(c[h], kShift), keep);
      v[2 * h] = _mm256_cvtph_ps(_mm256_castsi256_si128(f16));
      v[2 * h + 1] = _mm256_cvtph_ps(_mm256_extracti128_si256(f16, 1));
    }
  }
};

struct DecodeFp6Table {
  static constexpr int kStep = 32, kStepBytes = 24;
  static constexpr float kUnscale = 1.0f;
  Fp6Unpack unpack;
  const float* table;  // [64] code -> fp32
  void operator()(const uint8_t* p, __m256* v) const {
    __m256i c[2];
    unpack(p, c);
    for (int h = 0; h < 2; ++h) {
      __m256i idx16 = _mm256_srli_epi16(c[h], 10);
      v[2 * h] = _mm256_i32gather_ps(table, _mm256_cvtepu16_epi32(_mm256_castsi256_si128(idx16)), 4);
      v[2 * h + 1] =
          _mm256_i32gather_ps(table, _mm256_cvtepu16_epi32(_mm256_extracti128_si256(idx16, 1)), 4);
    }
  }
};

}  // namespace
}  // namespace llmrun::cpu::simd
