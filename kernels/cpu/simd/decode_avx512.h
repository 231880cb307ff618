#pragma once
// In-register weight decoders for the AVX-512 kernels (F + BW + VL + VBMI); include only
// from linear_avx512.cpp. Same contract as decode_avx2.h and, except for fp6, the same bit
// moves (derivations there), 16 lanes at a time: kStep weights from kStepBytes bytes (no byte
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
  // Integer codes (linear_kernels.h, gemv_rows_int): 32 weights from kIntBlockBytes bytes
  // as one vector of 32 int16, each kIntUnscale times the weight.
  static constexpr int kIntBlockBytes = 32, kIntUnscale = 1;
  void ints(const uint8_t* p, __m512i* v) const {
    v[0] = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
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

// fp6 unpacking for the table-gather variant: 32 codes from 24 bytes into 16-bit lanes,
// code in bits 15..10. A masked load reads exactly the 24 bytes; one full-width byte
// permute (VBMI) puts each code's byte pair in its lane, and a per-lane variable shift
// lifts code j of a block (at bit 0, 6, 4, 2 of its pair) to bit 10.
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


// fp6 (E3M2 or E2M3) straight to fp32, 16 codes per vector, no fp16 step (VBMI). Measured (bench_linear
// gemv_warm, Zen 5): 8% faster than looking up fp16 high bytes with a byte permute and
// converting with F16C, 15% faster than the AVX2 file's shift-and-mask decode done 32 lanes
// wide, 10x faster than gathering fp32 from a table in memory.
//   1. a byte permute puts the 3-byte block holding codes 2q, 2q+1 at the bottom of qword q;
//   2. a multishift copies each code into byte 0 of its dword (magnitude in bits 4..0) and,
//      shifted up by 2, into byte 3 (sign in bit 31);
//   3. a two-table permute (vpermt2ps) looks the 5-bit magnitude up among 32 fp32 values
//      (the only step that depends on the exponent/mantissa split);
//   4. the sign bit is OR-ed in (vpternlogd).
template <int kExp>  // 3: E3M2, 2: E2M3
struct Decode512Fp6Permute {
  static constexpr int kStep = 32, kStepBytes = 24;
  static constexpr float kUnscale = 1.0f;
  static __m512i block_bytes(int first_block) {
    alignas(64) int8_t idx[64];
    for (int b = 0; b < 64; ++b) idx[b] = int8_t(3 * (first_block + b / 16) + (b % 8 < 3 ? b % 8 : 0));
    return _mm512_load_si512(idx);
  }
  // Magnitude code c = e.m (kMan mantissa bits, bias 2^(kExp-1) - 1): normal (1 + m 2^-kMan)
  // 2^(e-bias) = (2^kMan + m) 2^(e-1) / 2^(bias+kMan-1), subnormal m 2^(1-bias-kMan); integer
  // arithmetic and one exact division (no libm in this file).
  static constexpr int kMan = 5 - kExp, kBias = (1 << (kExp - 1)) - 1;
  static constexpr int kDenominator = 1 << (kBias + kMan - 1);
  // The magnitude code's value times kDenominator: an integer.
  static int scaled_magnitude(int c) {
    const int e = c >> kMan, m = c & ((1 << kMan) - 1);
    return e ? ((1 << kMan) + m) << (e - 1) : m;
  }
  static __m512 magnitudes(int half) {
    alignas(64) float t[16];
    for (int i = 0; i < 16; ++i) t[i] = float(scaled_magnitude(16 * half + i)) / float(kDenominator);
    return _mm512_load_ps(t);
  }
  __m512i gather_lo = block_bytes(0), gather_hi = block_bytes(4);
  // Even qwords hold codes at bits 0 and 6 of their block, odd ones at bits 12 and 18.
  __m512i fields = _mm512_set_epi64(0x10000012'0a00000cll, 0x04000006'3e000000ll, 0x10000012'0a00000cll,
                                    0x04000006'3e000000ll, 0x10000012'0a00000cll, 0x04000006'3e000000ll,
                                    0x10000012'0a00000cll, 0x04000006'3e000000ll);
  __m512 mag_lo = magnitudes(0), mag_hi = magnitudes(1);
  void operator()(const uint8_t* p, __m512* v) const {
    const __m512i bytes = _mm512_castsi256_si512(_mm256_maskz_loadu_epi8(0x00ffffffu, p));
    const __m512i sign = _mm512_set1_epi32(int32_t(0x80000000u));
    for (int h = 0; h < 2; ++h) {
      const __m512i codes = _mm512_multishift_epi64_epi8(fields, _mm512_permutexvar_epi8(h ? gather_hi : gather_lo, bytes));
      const __m512 mag = _mm512_permutex2var_ps(mag_lo, codes, mag_hi);
      v[h] = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(mag), codes, sign, 0xf8));
    }
  }
};

// E2M3's values times 8 are the integers -60..60 (scaled_magnitude: with the magnitude
// code m = e.mmm, 8 |value| = m below 16, subnormals and e = 1, and (8 + mmm) 2^(e-1)
// above), so one 64-byte table maps
// a 6-bit code, sign included, to its int8 value: a byte permute puts
// the 6 bytes of blocks 2q, 2q+1 at the bottom of qword q, a multishift copies code j of
// the qword (bit 6j) into its byte j (the two bits above the code are ignored by the
// lookup), the lookup (VBMI) gives int8 and a widening gives int16. For the integer GEMV
// (linear_kernels.h, gemv_rows_int); prefill and batches keep Decode512Fp6Permute<2>'s fp32.
// Measured (bench_linear, the Xeon, fp6-e2m3-g32, 3 runs each): gemv_warm 1024x3072
// 167-193 us against 245-259 us through fp32; cold, 2 threads, 2560x9728 754-826 us
// against 983-1249 us (int8-g32 in the same runs: 591-645 us).
struct Decode512Fp6E2M3 : Decode512Fp6Permute<2> {
  static constexpr int kIntBlockBytes = 24, kIntUnscale = kDenominator;
  static_assert(kIntUnscale == 8, "E2M3 values times 8 fill an int8 table");
  static __m512i qword_bytes() {
    alignas(64) int8_t idx[64] = {};
    for (int b = 0; b < 32; ++b) idx[b] = int8_t(6 * (b / 8) + (b % 8 < 6 ? b % 8 : 0));
    return _mm512_load_si512(idx);
  }
  static __m512i values() {
    alignas(64) int8_t t[64];
    for (int c = 0; c < 64; ++c) t[c] = int8_t(c & 32 ? -scaled_magnitude(c & 31) : scaled_magnitude(c & 31));
    return _mm512_load_si512(t);
  }
  __m512i qwords = qword_bytes(), table = values();
  __m512i code_bits = _mm512_set1_epi64(0x2a241e18'120c0600ll);  // bit offsets 0, 6, ..., 42
  void ints(const uint8_t* p, __m512i* v) const {
    const __m512i bytes = _mm512_castsi256_si512(_mm256_maskz_loadu_epi8(0x00ffffffu, p));
    const __m512i codes = _mm512_multishift_epi64_epi8(code_bits, _mm512_permutexvar_epi8(qwords, bytes));
    v[0] = _mm512_cvtepi8_epi16(_mm512_castsi512_si256(_mm512_permutexvar_epi8(codes, table)));
  }
};

}  // namespace
}  // namespace llmrun::cpu::simd
