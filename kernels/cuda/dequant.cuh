#pragma once
// Register-level decoding of the device weight layout (weight_layout.h) to fp32, shared by
// every kernel that reads weights (GEMV, dequant_rows) and by host tests. Plain C++ with
// LLMRUN_HD functions: device-only instructions sit behind __CUDA_ARCH__, and each has a
// host fallback that is bit-exact (test_cuda_dequant_numerics: every fp8 / fp6 / int8 code
// and every f16 / bf16 bit pattern against the codecs of kernels/quant).
//
// Every decoder returns the code's value times 2^-fold_log2 (1 except fp6: 2^-12), with
// the row scale left out: kernels accumulate sum(code * x) in fp32 and multiply by the
// device scale (codec scale * 2^fold_log2) once per row.
//
// How each format reaches fp32 (why: fp32 FMAs need fp32 operands, and the conversion
// should cost about one instruction per code):
//   f32        as is.
//   bf16       the 16 bits moved to the top of an fp32 (a shift or a mask).
//   f16        cvt.f32.f16 (HADD2.F32 on sm_80+).
//   int8       the 0x6400 trick: byte ^ 0x80 in the mantissa of f16 1024 gives
//              1024 + 128 + q exactly; 1152 subtracted in f16x2 (exact), then cvt.
//   fp8 E4M3   cvt.rn.f16x2.e4m3x2 (sm_89+); elsewhere the bits moved into an f16
//              (value * 2^-8) times 256 in f16 (exact), NaN codes to f16 NaN 0x7fff.
//   fp6 E3M2   shifts and masks build (s << 15) | (code & 0x1f) << 8 = value * 2^-12
//              in f16 from the 4-bit and 2-bit planes (weight_layout.h), then cvt.
//   fp6 E2M3   the same planes and bit moves, then the magnitude shifted down one bit:
//              (s << 15) | (code & 0x1f) << 7 = value * 2^-14 (one more shift and mask).
#include <cstdint>
#include <cstring>

#include "kernels/cuda/weight_layout.h"
#include "kernels/quant/half.h"
#include "kernels/quant/host_device.h"

namespace llmrun::dequant {

// One 128-bit load: four little-endian words.
struct alignas(16) Chunk16 {
  uint32_t w[4];
};

// The 16 bytes at p (16-byte aligned, read-only while the kernel runs): one LDG.E.128
// through the read-only path on the device.
LLMRUN_HD Chunk16 load_chunk(const uint8_t* p) {
#if defined(__CUDA_ARCH__)
  const uint4 v = __ldg(reinterpret_cast<const uint4*>(p));
  return Chunk16{{v.x, v.y, v.z, v.w}};
#else
  Chunk16 c;
  std::memcpy(&c, p, sizeof c);
  return c;
#endif
}

// ---- 16-bit floats to fp32 ---------------------------------------------------------------

// f16 bit pattern in the low 16 bits of h -> fp32 (exact).
LLMRUN_HD float f16_to_f32(uint32_t h) {
#if defined(__CUDA_ARCH__)
  float f;
  asm("{ .reg .b16 t; cvt.u16.u32 t, %1; cvt.f32.f16 %0, t; }" : "=f"(f) : "r"(h));
  return f;
#else
  return quant::f16_to_f32(uint16_t(h));
#endif
}

// f16x2 (low half first) -> two fp32 (exact).
LLMRUN_HD void f16x2_to_f32(uint32_t h2, float& lo, float& hi) {
#if defined(__CUDA_ARCH__)
  asm("{ .reg .b16 l, h; mov.b32 {l, h}, %2; cvt.f32.f16 %0, l; cvt.f32.f16 %1, h; }"
      : "=f"(lo), "=f"(hi)
      : "r"(h2));
#else
  lo = quant::f16_to_f32(uint16_t(h2));
  hi = quant::f16_to_f32(uint16_t(h2 >> 16));
#endif
}

// bf16x2 (low half first) -> two fp32 (exact: bf16 is the top half of an fp32).
LLMRUN_HD void bf16x2_to_f32(uint32_t w, float& lo, float& hi) {
  lo = quant::f32_from_bits(w << 16);
  hi = quant::f32_from_bits(w & 0xffff0000u);
}

// ---- int8 ----------------------------------------------------------------------------------

// Bytes 2*pair and 2*pair+1 of u = codes ^ 0x80808080 (each code biased to 0..255) in the
// mantissas of f16 1024: f16x2 of 1152 + q (exact: integers below 2048).
LLMRUN_HD uint32_t int8x2_to_f16x2_biased(uint32_t u, int pair) {
#if defined(__CUDA_ARCH__)
  return __byte_perm(u, 0x64646464u, pair == 0 ? 0x4140u : 0x4342u);
#else
  const uint32_t v = pair == 0 ? u : u >> 16;
  return 0x64006400u | (v & 0xffu) | (v & 0xff00u) << 8;
#endif
}

// Codes 2*pair, 2*pair+1 (byte 0 = code 0) -> f16x2 holding the exact integers: the biased
// f16x2 minus 1152 in one f16x2 subtraction (exact: integers below 2048).
LLMRUN_HD uint32_t int8x2_to_f16x2(uint32_t codes, int pair) {
  const uint32_t biased = int8x2_to_f16x2_biased(codes ^ 0x80808080u, pair);
#if defined(__CUDA_ARCH__)
  uint32_t r;
  asm("sub.rn.f16x2 %0, %1, %2;" : "=r"(r) : "r"(biased), "r"(0x64806480u));  // - 1152
  return r;
#else
  const float lo = quant::f16_to_f32(uint16_t(biased)) - 1152.0f;
  const float hi = quant::f16_to_f32(uint16_t(biased >> 16)) - 1152.0f;
  return uint32_t(quant::f32_to_f16(lo)) | uint32_t(quant::f32_to_f16(hi)) << 16;
#endif
}

// Four int8 codes (byte 0 first) -> four exact fp32: per pair one prmt, one f16x2
// subtraction and two conversions.
LLMRUN_HD void int8x4_to_f32(uint32_t codes, float* out) {
  f16x2_to_f32(int8x2_to_f16x2(codes, 0), out[0], out[1]);
  f16x2_to_f32(int8x2_to_f16x2(codes, 1), out[2], out[3]);
}

// ---- fp8 E4M3 -----------------------------------------------------------------------------

// One E4M3 code -> its exact f16 bits; NaN codes (S.1111.111) -> 0x7fff as NVIDIA's
// conversions give. Sign and fields moved into an f16 give value * 2^-8 (bias 15 vs 7,
// subnormals included); times 256 is exact in f16.
LLMRUN_HD uint32_t e4m3_to_f16_bits(uint32_t code) {
  if ((code & 0x7fu) == 0x7fu) return 0x7fffu;
  const uint32_t scaled = (code & 0x80u) << 8 | (code & 0x7fu) << 7;
  return quant::f32_to_f16(quant::f16_to_f32(uint16_t(scaled)) * 256.0f);
}

// Codes in bits 7..0 and 15..8 of two -> f16x2 (low code in the low half), exact.
LLMRUN_HD uint32_t e4m3x2_to_f16x2(uint32_t two) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  uint32_t r;
  asm("{ .reg .b16 t; cvt.u16.u32 t, %1; cvt.rn.f16x2.e4m3x2 %0, t; }" : "=r"(r) : "r"(two));
  return r;
#else
  return e4m3_to_f16_bits(two & 0xffu) | e4m3_to_f16_bits((two >> 8) & 0xffu) << 16;
#endif
}

// ---- fp6 E3M2 ------------------------------------------------------------------------------

LLMRUN_HD uint32_t rotr32(uint32_t x, int r) { return (x >> r) | (x << ((32 - r) & 31)); }

// Pair i (0..3) of a group from its nibble word and the 2-bit word, p = the pair's index in
// the 2-bit word (4 * (group % 2) + i): f16x2 of (value * 2^-12) for codes 2i and 2i+1.
LLMRUN_HD uint32_t fp6_pair_to_f16x2(uint32_t nibbles, uint32_t pairs, int i, int p) {
  const uint32_t nib = i < 2 ? nibbles << (8 - 4 * i) : nibbles >> (4 * i - 8);
  return (nib & 0x0f000f00u) | (rotr32(pairs, (2 * p - 12) & 31) & 0x90009000u);
}

// ---- per-format segment decoders ------------------------------------------------------------

// Format<F>: the device layout's geometry and decode8(chunks, g, out) writing codes
// [8g, 8g+8) of one segment (its kChunks loaded chunks) as fp32 * 2^-kFoldLog2.
// Group-scaled formats (kGroupSize > 0) decode their element format's codes; the kernels
// multiply by the group scales (group_scale below). kScales: the group scales one segment
// spans (1 when a segment lies inside a group).
template <WeightFormat F>
struct FormatBase {
  static constexpr cuda_layout::Geometry kGeometry = cuda_layout::geometry_of(F);
  static constexpr int kCodes = kGeometry.codes_per_segment;
  static constexpr int kChunks = kGeometry.chunks_per_segment;
  static constexpr int kFoldLog2 = kGeometry.fold_log2;
  static constexpr int kGroups = kCodes / 8;
  static constexpr int kGroupSize = kGeometry.group_size;
  static constexpr int kDivisor = kGroupSize > 0 ? kGroupSize : 1;  // per-row formats: unused
  static constexpr int kScales = kGroupSize == 0 || kCodes <= kDivisor ? 1 : kCodes / kDivisor;
  static_assert(kCodes % 8 == 0 && kChunks >= 1, "a format with a device layout");
  static_assert(kGroupSize == 0 || (kGroupSize % 8 == 0 && (kCodes % kDivisor == 0 || kDivisor % kCodes == 0)),
                "a segment lies inside one group or holds whole groups, and every 8 codes share a scale");

  // Index, among the segment's kScales scales, of the scale of codes [8g, 8g + 8).
  LLMRUN_HD static constexpr int scale_of(int g) { return kScales == 1 ? 0 : 8 * g / kDivisor; }
  // Index in the row's group scales of the segment's first scale.
  LLMRUN_HD static constexpr int64_t first_group(int64_t segment) {
    return kGroupSize == 0 ? 0 : segment * kCodes / kDivisor;
  }
};

// A group-scaled format: its element format's decode (same device rows).
template <WeightFormat F>
struct Format : FormatBase<F> {
  static constexpr WeightFormat kCodesOf = cuda_layout::geometry_of(F).codes;
  static_assert(kCodesOf != F && FormatBase<F>::kGroupSize > 0,
                "a format with codes of its own has its own Format<> below");
  LLMRUN_HD static void decode8(const Chunk16* c, int g, float* out);
};

// A group's fp16 scale (bits, read-only while the kernel runs) -> fp32 (exact).
LLMRUN_HD float group_scale(const uint16_t* p) {
#if defined(__CUDA_ARCH__)
  return f16_to_f32(__ldg(reinterpret_cast<const unsigned short*>(p)));
#else
  return f16_to_f32(*p);
#endif
}

template <>
struct Format<WeightFormat::f32> : FormatBase<WeightFormat::f32> {
  LLMRUN_HD static void decode8(const Chunk16* c, int /*g*/, float* out) {
    for (int j = 0; j < 8; ++j) out[j] = quant::f32_from_bits(c[j / 4].w[j % 4]);
  }
};

template <>
struct Format<WeightFormat::f16> : FormatBase<WeightFormat::f16> {
  LLMRUN_HD static void decode8(const Chunk16* c, int /*g*/, float* out) {
    for (int k = 0; k < 4; ++k) f16x2_to_f32(c[0].w[k], out[2 * k], out[2 * k + 1]);
  }
};

template <>
struct Format<WeightFormat::bf16> : FormatBase<WeightFormat::bf16> {
  LLMRUN_HD static void decode8(const Chunk16* c, int /*g*/, float* out) {
    for (int k = 0; k < 4; ++k) bf16x2_to_f32(c[0].w[k], out[2 * k], out[2 * k + 1]);
  }
};

template <>
struct Format<WeightFormat::int8> : FormatBase<WeightFormat::int8> {
  LLMRUN_HD static void decode8(const Chunk16* c, int g, float* out) {
    int8x4_to_f32(c[0].w[2 * g], out);
    int8x4_to_f32(c[0].w[2 * g + 1], out + 4);
  }
};

template <>
struct Format<WeightFormat::fp8_e4m3> : FormatBase<WeightFormat::fp8_e4m3> {
  LLMRUN_HD static void decode8(const Chunk16* c, int g, float* out) {
    for (int k = 0; k < 2; ++k) {
      const uint32_t w = c[0].w[2 * g + k];
      f16x2_to_f32(e4m3x2_to_f16x2(w & 0xffffu), out[4 * k], out[4 * k + 1]);
      f16x2_to_f32(e4m3x2_to_f16x2(w >> 16), out[4 * k + 2], out[4 * k + 3]);
    }
  }
};

template <>
struct Format<WeightFormat::fp6_e3m2> : FormatBase<WeightFormat::fp6_e3m2> {
  LLMRUN_HD static void decode8(const Chunk16* c, int g, float* out) {
    const uint32_t nibbles = c[g / 4].w[g % 4];  // 4-bit plane, word g
    const uint32_t pairs = c[2].w[g / 2];        // 2-bit plane, word g / 2
    for (int i = 0; i < 4; ++i)
      f16x2_to_f32(fp6_pair_to_f16x2(nibbles, pairs, i, 4 * (g % 2) + i), out[2 * i], out[2 * i + 1]);
  }
};

template <>
struct Format<WeightFormat::fp6_e2m3> : FormatBase<WeightFormat::fp6_e2m3> {
  LLMRUN_HD static void decode8(const Chunk16* c, int g, float* out) {
    const uint32_t nibbles = c[g / 4].w[g % 4];
    const uint32_t pairs = c[2].w[g / 2];
    for (int i = 0; i < 4; ++i) {
      const uint32_t e3m2 = fp6_pair_to_f16x2(nibbles, pairs, i, 4 * (g % 2) + i);
      f16x2_to_f32((e3m2 & 0x80008000u) | ((e3m2 >> 1) & 0x0f800f80u), out[2 * i], out[2 * i + 1]);
    }
  }
};

template <WeightFormat F>
LLMRUN_HD void Format<F>::decode8(const Chunk16* c, int g, float* out) {
  Format<kCodesOf>::decode8(c, g, out);
}

}  // namespace llmrun::dequant
