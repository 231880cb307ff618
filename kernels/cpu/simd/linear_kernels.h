#pragma once
// The linear kernels, written once against a vector layer (vec_avx2.h: 8 lanes,
// vec_avx512.h: 16 lanes) and a decoder (decode_avx2.h, decode_avx512.h). Included only by
// the per-ISA files (linear_avx2.cpp, linear_avx512.cpp), each compiled with its own flags;
// everything here has internal linkage, so the two instantiations never meet at link time.
//
// Decode, n <= kGemvMaxTokens = 3 tokens (GEMV): each thread takes a contiguous range of
// W rows and streams it once. A group of RB rows is walked in steps of the decoder's kStep weights; each step
// of each row is dequantized in registers and multiplied into RB x NT accumulators (one per
// row and token; two when there is a single token, to cover FMA latency). The row scale
// (and the decoders' power-of-two kUnscale) multiplies each sum once at the end (group
// scales: DecodeGrouped below). The last
// k % kStep weights of a row go through the codec's own decode_row into a zero-padded
// buffer, so no load reads past a row.
//
// Prefill and larger batches, n > 3 (GEMM): each thread owns tiles of kGemmRowVecs vectors of
// rows (16 AVX2, 32 AVX-512); for every kGemmTileCols-wide slice of k it decodes the tile's
// rows once to fp32 (exact code values). From kGemmBroadcastMinTokens tokens the slice is
// laid out k-major and a micro-kernel of kGemmRowVecs x kGemmTokens accumulators (2 x 6 of
// 16 AVX2 registers, 2 x 12 of 32 AVX-512 registers) runs over every token: per k one load
// of the tile's weights and one broadcast of each token's x (packed k-major beforehand), no
// horizontal sums. Fewer tokens take 4-row dot products on the slice as decoded (the
// transposition would cost more than it saves). Each slice's products are added into out,
// which is scaled and biased when the tile is done.
#include <immintrin.h>
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/cpu/simd/linear_simd.h"
#include "kernels/cpu/simd/transpose8x8.h"

namespace llmrun::cpu::simd {
namespace {

inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

// A group-scaled format (grouped_codec.h), as CpuWeight keeps it: rows of element codes
// (read by the element's decoder) and an fp16 scale per kGroup codes in
// LinearProblem::group_scales. One step is one group; the kernels apply its scale: the
// single-token GEMV to the group's fp32 partial sum (one FMA per group and row), the
// others to the decoded vectors.
template <class Vec, class Inner, int kGroup>
struct DecodeGrouped {
  static_assert(kGroup % Inner::kStep == 0, "a group is whole inner steps");
  static constexpr int kStep = kGroup, kStepBytes = kGroup / Inner::kStep * Inner::kStepBytes;
  static constexpr float kUnscale = Inner::kUnscale;
  static constexpr bool kGroupScaled = true;
  Inner inner;
  void operator()(const uint8_t* p, typename Vec::V* v) const {
    constexpr int kInnerVecs = Inner::kStep / Vec::kLanes;
    for (int j = 0; j < kGroup / Inner::kStep; ++j) inner(p + j * Inner::kStepBytes, v + j * kInnerVecs);
  }
};

// Whether D is a DecodeGrouped (its steps carry scales of their own).
template <class D, class = void>
struct IsGroupScaled : std::false_type {};
template <class D>
struct IsGroupScaled<D, std::void_t<decltype(D::kGroupScaled)>> : std::true_type {};

// Whether D is a group-scaled format of integer-valued codes (an inner decoder with ints()
// and kIntUnscale: int8 on both ISAs, fp6 E2M3 on AVX-512; linear_simd.h,
// gemv_rounds_x_to_int16, says the same for the scratch and the tests).
template <class D, class = void>
struct HasIntegerCodes : std::false_type {};
template <class D>
struct HasIntegerCodes<D, std::void_t<decltype(D::kIntUnscale)>> : std::true_type {};
template <class D>
struct IsGroupedInteger : std::false_type {};
template <class Vec, class Inner, int kGroup>
struct IsGroupedInteger<DecodeGrouped<Vec, Inner, kGroup>> : HasIntegerCodes<Inner> {};

inline float f16_scale(const uint16_t* p) { return _cvtsh_ss(*p); }

// ---- decode: GEMV over NT <= kGemvMaxTokens tokens -------------------------------------

constexpr int kTailMax = 64;  // >= every decoder's kStep, a multiple of every vector width
// Software prefetch distance of the decode kernels in bytes (tuned with bench_linear: rows
// of 1-2 KiB end before the hardware prefetcher has ramped up on them).
constexpr int64_t kPrefetchAhead = 8192;

// Tokens' inputs for one call: row pointers and each row's last k % kStep values,
// zero-padded to kTailMax.
struct GemvInputs {
  const float* rows[kGemvMaxTokens];
  alignas(64) float tail[kGemvMaxTokens][kTailMax];
};

// The row's last p.k - steps * kStep weights (kStep is a multiple of every codec's block
// size; a group-scaled row's tail is its last group, partial), times group scale / unscale
// (the factor the row's sum is multiplied by at the end), zero-padded to kTailMax.
template <class D>
void decode_tail(const LinearProblem& p, const uint8_t* row, const uint16_t* gs, int64_t steps, float unscale,
                 float* wt) {
  const CodecRecord& cc = *p.codes_codec;
  const int64_t k_tail = steps * D::kStep;
  const float group = IsGroupScaled<D>::value ? f16_scale(gs + steps) : 1.0f;
  for (int i = 0; i < kTailMax; ++i) wt[i] = 0.0f;
  cc.decode_row(row + k_tail / cc.block_size * cc.block_bytes, group / unscale, p.k - k_tail, wt);
}

// out[t, r] = the lanes' sum times the row scale and unscale, plus the bias.
template <class Vec>
void store_out(const LinearProblem& p, int64_t r, int t, typename Vec::V acc, float unscale) {
  const float v = Vec::hsum(acc) * (p.scales[r] * unscale);
  p.out[t * p.m + r] = p.bias ? v + p.bias[r] : v;
}

// Rows [r0, r0 + RB) for NT tokens. S accumulators per (row, token) pair.
template <class Vec, class D, int RB, int NT, int S>
void gemv_rows(const D& dec, const LinearProblem& p, const GemvInputs& in, int64_t r0) {
  using V = typename Vec::V;
  constexpr int kVecs = D::kStep / Vec::kLanes;
  static_assert(kVecs * Vec::kLanes == D::kStep && D::kStep <= kTailMax, "decoder step");
  V acc[RB][NT][S];
  for (int r = 0; r < RB; ++r)
    for (int t = 0; t < NT; ++t)
      for (int s = 0; s < S; ++s) acc[r][t][s] = Vec::zero();
  const uint8_t* row[RB];
  for (int r = 0; r < RB; ++r) row[r] = p.w + (r0 + r) * p.row_bytes;
  constexpr bool kGrouped = IsGroupScaled<D>::value;
  const uint16_t* gs[RB] = {};  // the rows' group scales (group-scaled formats)
  alignas(32) float gsf[RB][8];
  if constexpr (kGrouped)
    for (int r = 0; r < RB; ++r) gs[r] = p.group_scales + (r0 + r) * p.groups_per_row;

  // The group's RB rows are one contiguous block and the thread's next group follows it:
  // prefetch linearly, kPrefetchAhead bytes ahead of where reading stands.
  constexpr int64_t kBlockStep = RB * D::kStepBytes;
  const uint8_t* ahead = row[0] + kPrefetchAhead;

  const int64_t steps = p.k / D::kStep;
  for (int64_t step = 0; step < steps; ++step) {
    const int64_t k = step * D::kStep;
    for (int64_t b = 0; b < kBlockStep; b += 64) Vec::prefetch(ahead + step * kBlockStep + b);
    if constexpr (kGrouped) {
      // The next 8 groups' scales of each row converted at once (one F16C conversion per
      // 8 groups instead of one per group; CpuWeight pads the array for the last row).
      if (step % 8 == 0)
        for (int r = 0; r < RB; ++r)
          _mm256_store_ps(gsf[r], _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(gs[r] + step))));
#pragma GCC unroll 4
      for (int r = 0; r < RB; ++r) {
        V wv[kVecs];
        dec(row[r] + step * D::kStepBytes, wv);
        const V s = Vec::set1(gsf[r][step % 8]);
        if constexpr (NT == 1) {
          // The group's partial sum, then times its scale into the row's sum.
          V part = Vec::mul(wv[0], Vec::load(in.rows[0] + k));
#pragma GCC unroll 4
          for (int v = 1; v < kVecs; ++v) part = Vec::fma(wv[v], Vec::load(in.rows[0] + k + Vec::kLanes * v), part);
          // acc[r][0][0] only: a runtime index (step % S) would keep acc in memory.
          acc[r][0][0] = Vec::fma(part, s, acc[r][0][0]);
        } else {
#pragma GCC unroll 4
          for (int v = 0; v < kVecs; ++v) {
            const V w = Vec::mul(wv[v], s);
#pragma GCC unroll 8
            for (int t = 0; t < NT; ++t)
              acc[r][t][v % S] = Vec::fma(w, Vec::load(in.rows[t] + k + Vec::kLanes * v), acc[r][t][v % S]);
          }
        }
      }
      continue;
    }
#pragma GCC unroll 4
    for (int r = 0; r < RB; ++r) {
      V wv[kVecs];
      dec(row[r] + step * D::kStepBytes, wv);
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v)
#pragma GCC unroll 8
        for (int t = 0; t < NT; ++t)
          acc[r][t][v % S] = Vec::fma(wv[v], Vec::load(in.rows[t] + k + Vec::kLanes * v), acc[r][t][v % S]);
    }
  }

  const int64_t n_tail = p.k - steps * D::kStep;
  for (int r = 0; n_tail > 0 && r < RB; ++r) {
    alignas(64) float wt[kTailMax];
    decode_tail<D>(p, row[r], gs[r], steps, D::kUnscale, wt);
    for (int64_t v = 0; v * Vec::kLanes < n_tail; ++v)
      for (int t = 0; t < NT; ++t)
        acc[r][t][0] = Vec::fma(Vec::load(wt + Vec::kLanes * v), Vec::load(in.tail[t] + Vec::kLanes * v), acc[r][t][0]);
  }

  for (int r = 0; r < RB; ++r)
    for (int t = 0; t < NT; ++t) {
      V a = acc[r][t][0];
      for (int s = 1; s < S; ++s) a = Vec::add(a, acc[r][t][s]);
      store_out<Vec>(p, r0 + r, t, a, D::kUnscale);
    }
}

// ---- decode, integer codes and a single token: integer products ------------------------
//
// A group-scaled row of integer-valued codes (int8; on AVX-512 fp6 E2M3, whose values
// times 8 are integers) times one token's x is mostly integer arithmetic: x is rounded
// once per call to int16 in blocks of kGemvXBlock values, each with a power-of-two scale dx
// (the smallest with max |x| <= 32767 dx), so a block's products are exact int16 x int16
// multiply-adds into int32 (at most 4 per lane, |code| <= 127: below 2^24, converted to
// fp32 exactly), and one FMA per block and row applies group scale x dx / kIntUnscale. Per
// 32 int8 weights that is 2 widening loads, 2 multiply-adds, an add, a conversion and an
// FMA on AVX2 instead of 4 widenings, 4 conversions and 4 FMAs: the fp32 path is bound by
// those on AVX2. fp6 E2M3 on AVX-512 turns 32 codes into int16 with a byte permute, a
// multishift, a table permute and a widening, where the fp32 path takes a byte permute, a
// multishift, a table permute and a sign merge per 16 lanes, then 2 FMAs (decode_avx512.h,
// Decode512Fp6E2M3). Rounding x costs
// at most dx / 2 < max |x| / 32767 per value (2^-127 for blocks below 2^-112), ~2^7 times
// below an int8 weight's own rounding; small integers and other values with few
// significant bits pass exactly. A block holding an Inf or NaN gets dx = NaN, so its
// rows' outputs are NaN.
struct XInt16 {
  const int16_t* q;  // [blocks * kGemvXBlock]
  const float* dx;   // [round_up(blocks, 8)], zero past `blocks`
};

template <class Vec>
void quantize_x_i16(const float* x, int64_t blocks, int16_t* q, float* dx) {
  using V = typename Vec::V;
  static_assert(kGemvXBlock % 16 == 0 && kGemvXBlock % Vec::kLanes == 0, "whole vectors per block");
  for (int64_t b = 0; b < blocks; ++b) {
    const float* xb = x + b * kGemvXBlock;
    V amax = Vec::zero(), nonfinite = Vec::zero();
    for (int v = 0; v < kGemvXBlock / Vec::kLanes; ++v) {
      const V a = Vec::load(xb + v * Vec::kLanes);
      amax = Vec::max(amax, Vec::abs(a));
      nonfinite = Vec::add(nonfinite, Vec::mul(a, Vec::zero()));  // 0, or NaN after an Inf or NaN
    }
    const float m = Vec::hmax(amax);
    uint32_t bits;
    __builtin_memcpy(&bits, &m, 4);
    // m in [2^E, 2^(E+1)): m / 2^(E-14) in [16384, 32768), above 32767 for the largest mantissas.
    int e = int(bits >> 23) - 127 - 14;
    if ((bits & 0x7fffffu) > 0x7ffe00u) ++e;
    if (e < -126) e = -126;
    const uint32_t d_bits = uint32_t(e + 127) << 23, inv_bits = uint32_t(127 - e) << 23;
    float d, inv;
    __builtin_memcpy(&d, &d_bits, 4);
    __builtin_memcpy(&inv, &inv_bits, 4);
    if (!(Vec::hsum(nonfinite) == 0.0f)) d = __builtin_nanf(""), inv = 0.0f;
    for (int h = 0; h < kGemvXBlock; h += 16) Vec::round_to_i16(xb + h, inv, q + b * kGemvXBlock + h);
    dx[b] = d;
  }
  for (int64_t b = blocks; b < round_up(blocks, 8); ++b) dx[b] = 0.0f;
}

template <class Vec, class D, int RB>
void gemv_rows_int(const D& dec, const LinearProblem& p, const GemvInputs& in, const XInt16& x, int64_t r0) {
  using V = typename Vec::V;
  using I = typename Vec::I;
  constexpr int kGroup = D::kStep, kBlocksPerGroup = kGroup / kGemvXBlock;
  using Inner = decltype(D::inner);
  constexpr int kIVecs = kGemvXBlock / Vec::kI16Lanes, kBlockBytes = Inner::kIntBlockBytes;
  static_assert(kGroup % kGemvXBlock == 0 && (kBlocksPerGroup == 1 || kBlocksPerGroup == 2), "g32 or g64");
  V acc[RB];
  const uint8_t* row[RB];
  const uint16_t* gs[RB];
  for (int r = 0; r < RB; ++r) {
    acc[r] = Vec::zero();
    row[r] = p.w + (r0 + r) * p.row_bytes;
    gs[r] = p.group_scales + (r0 + r) * p.groups_per_row;
  }
  alignas(32) float sc[RB][8];  // group scale x dx of blocks b..b+8 (b % 8 == 0)
  const uint8_t* ahead = row[0] + kPrefetchAhead;  // linear over the row group (gemv_rows)
  const int64_t steps = p.k / kGroup, blocks = steps * kBlocksPerGroup;
  for (int64_t b = 0; b < blocks; ++b) {
    for (int64_t o = 0; o < RB * kBlockBytes; o += 64) Vec::prefetch(ahead + b * RB * kBlockBytes + o);
    if (b % 8 == 0) {
      const __m256 dx = _mm256_loadu_ps(x.dx + b);
      for (int r = 0; r < RB; ++r) {
        __m256 g;
        if constexpr (kBlocksPerGroup == 1) {
          g = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(gs[r] + b)));
        } else {  // 4 groups, each for two blocks (CpuWeight pads the scales for the last row)
          g = _mm256_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(gs[r] + b / 2)));
          g = _mm256_permutevar8x32_ps(g, _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
        }
        _mm256_store_ps(sc[r], _mm256_mul_ps(g, dx));
      }
    }
    I xv[kIVecs];
    for (int v = 0; v < kIVecs; ++v) xv[v] = Vec::load_i16(x.q + b * kGemvXBlock + v * Vec::kI16Lanes);
#pragma GCC unroll 4
    for (int r = 0; r < RB; ++r) {
      I wv[kIVecs];
      dec.inner.ints(row[r] + b * kBlockBytes, wv);
      I sum = Vec::madd_i16(wv[0], xv[0]);
      for (int v = 1; v < kIVecs; ++v) sum = Vec::add_i32(sum, Vec::madd_i16(wv[v], xv[v]));
      acc[r] = Vec::fma(Vec::to_float(sum), Vec::set1(sc[r][b % 8]), acc[r]);
    }
  }
  const int64_t n_tail = p.k - steps * kGroup;
  constexpr float unscale = 1.0f / Inner::kIntUnscale;  // a power of two: exact
  for (int r = 0; r < RB; ++r) {
    if (n_tail > 0) {
      alignas(64) float wt[kTailMax];
      decode_tail<D>(p, row[r], gs[r], steps, unscale, wt);
      for (int64_t v = 0; v * Vec::kLanes < n_tail; ++v)
        acc[r] = Vec::fma(Vec::load(wt + Vec::kLanes * v), Vec::load(in.tail[0] + Vec::kLanes * v), acc[r]);
    }
    store_out<Vec>(p, r0 + r, 0, acc[r], unscale);
  }
}

// Row-group height per token count: RB * NT * S accumulators stay within 8..12 registers.
template <int NT>
struct GemvShape {
  static constexpr int kRows = 4;
  static constexpr int kSplit = NT == 1 ? 2 : 1;
};

template <int N>
struct RowCount {
  static constexpr int value = N;
};

// Calls rows(RowCount<RB>, r0) for each whole group of RB rows and rows(RowCount<1>, r)
// for each row of the last, partial one, the groups split between the threads.
template <int RB, class Rows>
void for_row_groups(const LinearProblem& p, const Rows& rows) {
  const int64_t groups = (p.m + RB - 1) / RB;
#pragma omp parallel for num_threads(p.threads) if (p.parallel) schedule(static)
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t r0 = g * RB;
    if (r0 + RB <= p.m) {
      rows(RowCount<RB>{}, r0);
    } else {
      for (int64_t r = r0; r < p.m; ++r) rows(RowCount<1>{}, r);
    }
  }
}

template <class Vec, class D, int NT>
void gemv(const D& dec, const LinearProblem& p) {
  constexpr int RB = GemvShape<NT>::kRows, S = GemvShape<NT>::kSplit;
  GemvInputs in;
  const int64_t k_tail = p.k / D::kStep * D::kStep;
  for (int t = 0; t < NT; ++t) {
    in.rows[t] = p.x + t * p.k;
    for (int i = 0; i < kTailMax; ++i) in.tail[t][i] = k_tail + i < p.k ? in.rows[t][k_tail + i] : 0.0f;
  }
  if constexpr (NT == 1 && IsGroupedInteger<D>::value) {
    const int64_t blocks = p.k / D::kStep * (D::kStep / kGemvXBlock);
    // simd_scratch_floats sizes this scratch by gemv_rounds_x_to_int16, the codec-side
    // twin of IsGroupedInteger: none means the two disagree.
    if (p.scratch == nullptr) __builtin_trap();
    int16_t* q = reinterpret_cast<int16_t*>(p.scratch);
    float* dx = p.scratch + round_up(p.k, kGemvXBlock) / 2;
    quantize_x_i16<Vec>(p.x, blocks, q, dx);
    const XInt16 x{q, dx};
    for_row_groups<RB>(p, [&](auto rows, int64_t r0) { gemv_rows_int<Vec, D, decltype(rows)::value>(dec, p, in, x, r0); });
  } else {
    for_row_groups<RB>(p, [&](auto rows, int64_t r0) { gemv_rows<Vec, D, decltype(rows)::value, NT, S>(dec, p, in, r0); });
  }
}

template <class Vec, class D>
void gemv_any(const D& dec, const LinearProblem& p) {
  static_assert(kGemvMaxTokens == 3, "one case per token count below");
  switch (p.n) {
    case 1: return gemv<Vec, D, 1>(dec, p);
    case 2: return gemv<Vec, D, 2>(dec, p);
    case 3: return gemv<Vec, D, 3>(dec, p);
    default: __builtin_trap();  // linear.cpp sends only 1..kGemvMaxTokens here
  }
}

// ---- prefill: GEMM -------------------------------------------------------------------------

// out[t * ldo + r] (+)= sum over k < len of tile[k * kRows + r] * x[k * kGemmTokens + t],
// for NT tokens and the tile's kRows = kGemmRowVecs vectors of rows, of which the first
// `rows` are written. Each step loads the rows' weights at k once and multiplies them by
// every token's x[k], broadcast: no horizontal sums, and the weights' loads are shared by NT
// tokens. x is packed k-major (pack_tokens), so the broadcasts read one stream.
template <class Vec, int NT>
void micro(const float* tile, int64_t len, const float* x, float* out, int64_t ldo, int rows, bool accumulate) {
  using V = typename Vec::V;
  constexpr int RV = Vec::kGemmRowVecs, kRows = RV * Vec::kLanes;
  V acc[NT][RV];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t)
#pragma GCC unroll 4
    for (int v = 0; v < RV; ++v) acc[t][v] = Vec::zero();
  for (int64_t k = 0; k < len; ++k) {
    V w[RV];
#pragma GCC unroll 4
    for (int v = 0; v < RV; ++v) w[v] = Vec::load(tile + k * kRows + v * Vec::kLanes);
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) {
      const V b = Vec::set1(x[k * Vec::kGemmTokens + t]);
#pragma GCC unroll 4
      for (int v = 0; v < RV; ++v) acc[t][v] = Vec::fma(w[v], b, acc[t][v]);
    }
  }
  for (int t = 0; t < NT; ++t)
    for (int v = 0; v < RV; ++v) {
      float* o = out + t * ldo + v * Vec::kLanes;
      const int left = rows - v * Vec::kLanes;
      if (left >= Vec::kLanes) {
        Vec::store(o, accumulate ? Vec::add(Vec::load(o), acc[t][v]) : acc[t][v]);
      } else if (left > 0) {  // the last tile of a matrix whose rows are no whole number of tiles
        Vec::store_first(o, accumulate ? Vec::add(Vec::load_first(o, left), acc[t][v]) : acc[t][v], left);
      }
    }
}

template <class Vec, int NT = Vec::kGemmTokens>
void micro_tokens(int nt, const float* tile, int64_t len, const float* x, float* out, int64_t ldo, int rows,
                  bool accumulate) {
  if constexpr (NT >= 1) {
    if (nt == NT) return micro<Vec, NT>(tile, len, x, out, ldo, rows, accumulate);
    return micro_tokens<Vec, NT - 1>(nt, tile, len, x, out, ldo, rows, accumulate);
  } else {
    __builtin_trap();  // the GEMM sends only 1..kGemmTokens tokens
  }
}

// x [n, k] -> groups of kGemmTokens tokens, each [k, kGemmTokens] (a short last group keeps
// the stride; its missing tokens are never read). Written in order, read from the group's
// rows side by side.
template <class Vec>
void pack_tokens(const LinearProblem& p, float* packed) {
  constexpr int64_t kT = Vec::kGemmTokens;
  const int64_t groups = (p.n + kT - 1) / kT;
#pragma omp for schedule(static)
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t nt = min_i64(kT, p.n - g * kT);
    const float* src = p.x + g * kT * p.k;
    float* dst = packed + g * kT * p.k;
    for (int64_t k = 0; k < p.k; ++k)
      for (int64_t t = 0; t < nt; ++t) dst[k * kT + t] = src[t * p.k + k];
  }
}

// Few tokens (n < kGemmBroadcastMinTokens): out[t * ldo + r] += dot(w[r * ldw ..],
// x[t * ldx ..]) over len (whole vectors) values, for RB rows and NT tokens, on the tile as
// decoded (row-major): it costs horizontal sums but no transposition, which few tokens
// would not amortize.
template <class Vec, int RB, int NT>
void micro_dot(const float* w, int64_t ldw, const float* x, int64_t ldx, int64_t len, float* out, int64_t ldo) {
  using V = typename Vec::V;
  V acc[RB][NT];
  for (int r = 0; r < RB; ++r)
    for (int t = 0; t < NT; ++t) acc[r][t] = Vec::zero();
  for (int64_t k = 0; k < len; k += Vec::kLanes) {
    V xv[NT];
    for (int t = 0; t < NT; ++t) xv[t] = Vec::load(x + t * ldx + k);
    for (int r = 0; r < RB; ++r) {
      const V wv = Vec::load(w + r * ldw + k);
      for (int t = 0; t < NT; ++t) acc[r][t] = Vec::fma(wv, xv[t], acc[r][t]);
    }
  }
  for (int t = 0; t < NT; ++t) {
    float* o = out + t * ldo;
    if constexpr (RB == 4) {
      Vec::add_hsum4(o, acc[0][t], acc[1][t], acc[2][t], acc[3][t]);
    } else {
      for (int r = 0; r < RB; ++r) o[r] += Vec::hsum(acc[r][t]);
    }
  }
}

template <class Vec, int RB, int NT = Vec::kGemmDotTokens>
void micro_dot_tokens(int nt, const float* w, int64_t ldw, const float* x, int64_t ldx, int64_t len, float* out,
                      int64_t ldo) {
  if constexpr (NT >= 1) {
    if (nt == NT) return micro_dot<Vec, RB, NT>(w, ldw, x, ldx, len, out, ldo);
    return micro_dot_tokens<Vec, RB, NT - 1>(nt, w, ldw, x, ldx, len, out, ldo);
  } else {
    __builtin_trap();  // the GEMM sends only 1..kGemmDotTokens tokens
  }
}

template <class Vec>
void micro_dot_any(int rb, int nt, const float* w, int64_t ldw, const float* x, int64_t ldx, int64_t len,
                   float* out, int64_t ldo) {
  switch (rb) {
    case 4: return micro_dot_tokens<Vec, 4>(nt, w, ldw, x, ldx, len, out, ldo);
    case 3: return micro_dot_tokens<Vec, 3>(nt, w, ldw, x, ldx, len, out, ldo);
    case 2: return micro_dot_tokens<Vec, 2>(nt, w, ldw, x, ldx, len, out, ldo);
    default: return micro_dot_tokens<Vec, 1>(nt, w, ldw, x, ldx, len, out, ldo);
  }
}

// Row `row` of W, values [k0, k0 + len) -> dst[round_up(len, kGemmPad)] fp32 (exact code
// values, scale not applied, zeros past len). k0 is a multiple of kStep.
// gs: the row's group scales (group-scaled formats), applied too. A tile is tile_rows rows
// (the thread's next tile starts that many rows further) in slices of slice_cols.
template <class Vec, class D>
void decode_span(const D& dec, const LinearProblem& p, const uint8_t* row, const uint16_t* gs, int64_t k0,
                 int64_t len, int64_t tile_rows, int64_t slice_cols, float* dst) {
  using V = typename Vec::V;
  constexpr int kVecs = D::kStep / Vec::kLanes;
  constexpr bool kGrouped = IsGroupScaled<D>::value;
  // Tile rows are short streams the hardware prefetcher misses (batches of 5..8 tokens are
  // memory-bound here): fetch this row's next slice, or after the last slice the same row
  // of the thread's next tile, while this slice is multiplied.
  const CodecRecord& c = *p.codes_codec;
  const int64_t span_bytes = c.row_bytes(len);
  const uint8_t* next = k0 + slice_cols < p.k ? row + (k0 + slice_cols) / c.block_size * c.block_bytes
                                               : row + tile_rows * p.row_bytes;
  for (int64_t b = 0; b < span_bytes; b += 64) Vec::prefetch(next + b);
  const V unscale = Vec::set1(D::kUnscale);
  int64_t i = 0;
  for (; i + D::kStep <= len; i += D::kStep) {
    V wv[kVecs];
    dec(row + (k0 + i) / D::kStep * D::kStepBytes, wv);
    if constexpr (kGrouped) {
      // Exact: an element code times an fp16 scale and a power of two fits fp32.
      const V s = Vec::set1(f16_scale(gs + (k0 + i) / D::kStep) * D::kUnscale);
      for (int v = 0; v < kVecs; ++v) wv[v] = Vec::mul(wv[v], s);
    } else if constexpr (D::kUnscale != 1.0f) {
      for (int v = 0; v < kVecs; ++v) wv[v] = Vec::mul(wv[v], unscale);
    }
    for (int v = 0; v < kVecs; ++v) Vec::store(dst + i + Vec::kLanes * v, wv[v]);
  }
  if (i < len) {
    const int64_t k = k0 + i;
    const float group = kGrouped ? f16_scale(gs + k / D::kStep) : 1.0f;
    c.decode_row(row + k / c.block_size * c.block_bytes, group, len - i, dst + i);
  }
  for (int64_t j = len; j < round_up(len, kGemmPad); ++j) dst[j] = 0.0f;
}

// One thread's share of the tiles of kRows rows, in slices of kTC inputs: decoded row by
// row ([kRows, kTC]), then either transposed for the broadcast kernel ([kTC, kRows]: the
// tile's rows side by side for each k; x packed k-major) or multiplied as decoded by the dot
// kernel (x rows of ldx values, whole vectors).
template <class Vec, int64_t kRows, int64_t kTC, bool kBroadcast, class D>
void gemm_tiles(const D& dec, const LinearProblem& p, const float* x, int64_t ldx, float* rows_first, float* tile) {
  static_assert(kRows % 8 == 0 && kTC % D::kStep == 0 && kTC % kGemmPad == 0 && kGemmPad % 8 == 0,
                "tiles hold whole 8 x 8 blocks, steps and vectors");
  static_assert(kRows * kTC <= kGemmTileRows * kGemmTileCols, "a tile fits its scratch");
  const int64_t n_tiles = (p.m + kRows - 1) / kRows;
#pragma omp for schedule(static)
  for (int64_t ti = 0; ti < n_tiles; ++ti) {
    const int64_t r0 = ti * kRows, rows = min_i64(kRows, p.m - r0);
    // Rows past the matrix multiply as zeros (never garbage: a NaN or a subnormal there
    // would cost time) and are not written.
    if (rows < kRows) std::memset(rows_first + rows * kTC, 0, size_t((kRows - rows) * kTC) * sizeof(float));
    if (!kBroadcast)
      for (int64_t t = 0; t < p.n; ++t) std::memset(p.out + t * p.m + r0, 0, size_t(rows) * sizeof(float));
    for (int64_t k0 = 0; k0 < p.k; k0 += kTC) {
      const int64_t len = min_i64(kTC, p.k - k0);
      for (int64_t r = 0; r < rows; ++r)
        decode_span<Vec>(dec, p, p.w + (r0 + r) * p.row_bytes,
                         p.group_scales ? p.group_scales + (r0 + r) * p.groups_per_row : nullptr, k0, len, kRows, kTC,
                         rows_first + r * kTC);
      if constexpr (kBroadcast) {
        for (int64_t c = 0; c < round_up(len, 8); c += 8)
          for (int64_t r = 0; r < kRows; r += 8) transpose8x8(rows_first + r * kTC + c, kTC, tile + c * kRows + r, kRows);
        for (int64_t t0 = 0; t0 < p.n; t0 += Vec::kGemmTokens)
          micro_tokens<Vec>(int(min_i64(Vec::kGemmTokens, p.n - t0)), tile, len, x + t0 * p.k + k0 * Vec::kGemmTokens,
                            p.out + t0 * p.m + r0, p.m, int(rows), k0 > 0);
      } else {
        for (int64_t t0 = 0; t0 < p.n; t0 += Vec::kGemmDotTokens) {
          const int nt = int(min_i64(Vec::kGemmDotTokens, p.n - t0));
          for (int64_t rr = 0; rr < rows; rr += 4)
            micro_dot_any<Vec>(int(min_i64(4, rows - rr)), nt, rows_first + rr * kTC, kTC, x + t0 * ldx + k0, ldx,
                               round_up(len, kGemmPad), p.out + t0 * p.m + r0 + rr, p.m);
        }
      }
    }
    for (int64_t t = 0; t < p.n; ++t) {
      float* o = p.out + t * p.m + r0;
      for (int64_t r = 0; r < rows; ++r) {
        const float v = o[r] * p.scales[r0 + r];
        o[r] = p.bias ? v + p.bias[r0 + r] : v;
      }
    }
  }
}

template <class Vec, class D>
void gemm(const D& dec, const LinearProblem& p) {
  static_assert(kGemmMaxTokens % Vec::kGemmTokens == 0, "the packed x fits the scratch");
  const bool broadcast = p.n >= kGemmBroadcastMinTokens;
  // x as the micro-kernels read it: packed k-major (broadcast), or rows zero-padded to whole
  // vectors when k is not a multiple of kGemmPad (dot).
  const float* x = p.x;
  int64_t ldx = p.k;
  float* x_copy = p.scratch + int64_t(p.threads) * 2 * kGemmTileRows * kGemmTileCols;
  if (broadcast) {
    x = x_copy;
  } else if (p.k % kGemmPad) {
    ldx = round_up(p.k, kGemmPad);
    for (int64_t t = 0; t < p.n; ++t) {
      std::memcpy(x_copy + t * ldx, p.x + t * p.k, size_t(p.k) * sizeof(float));
      std::memset(x_copy + t * ldx + p.k, 0, size_t(ldx - p.k) * sizeof(float));
    }
    x = x_copy;
  }
#pragma omp parallel num_threads(p.threads) if (p.parallel)
  {
    float* rows_first = p.scratch + int64_t(omp_get_thread_num()) * 2 * kGemmTileRows * kGemmTileCols;
    float* tile = rows_first + kGemmTileRows * kGemmTileCols;
    if (broadcast) {
      pack_tokens<Vec>(p, x_copy);  // ends in a barrier (omp for)
      gemm_tiles<Vec, Vec::kGemmRowVecs * Vec::kLanes, kGemmTileCols, true>(dec, p, x, ldx, rows_first, tile);
    } else {
      gemm_tiles<Vec, kGemmDotTileRows, kGemmDotTileCols, false>(dec, p, x, ldx, rows_first, tile);
    }
  }
}

template <class Vec, class D>
void run(const D& dec, const LinearProblem& p) {
  if (p.n <= kGemvMaxTokens)
    gemv_any<Vec>(dec, p);
  else
    gemm<Vec>(dec, p);
}

}  // namespace
}  // namespace llmrun::cpu::simd
