// Every registered format, through its record only: a new format is checked here as soon as
// it is in all_codecs(), and fails until it has an error bound below.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/test_name.h"
#include "kernels/quant/grouped_codec.h"
#include "kernels/quant/half.h"
#include "kernels/quant/weight_format.h"
#include "tests/quant/codec_references.h"

namespace llmrun {
namespace {

using testing::bits_of;

const int64_t kLengths[] = {1, 2, 3, 4, 5, 7, 8, 769};
constexpr double kU = 1.0 / (1 << 24);  // fp32 unit roundoff, 2^-24

// Round-trip error bound |decode(encode(w)) - w| <= rel * |w| + abs * scale + slack.
//
// Derivation for a binary float code with m mantissa bits and smallest subnormal step q,
// applied to y = w / scale: rounding to nearest moves a normal y by at most half an ulp,
// 2^(e-m-1) <= 2^-(m+1) |y|, and a subnormal y by at most q / 2; saturation only clips y
// above max by the fp32 rounding of amax / scale (<= 2^-23 max, inside the relative term).
// So |code - y| <= 2^-(m+1) |y| + q / 2, i.e. rel = 2^-(m+1) and abs = q / 2:
//   fp8 E4M3: m = 3, q = 2^-9   -> rel 2^-4, abs 2^-10
//   fp6 E3M2: m = 2, q = 2^-4   -> rel 2^-3, abs 2^-5
//   fp6 E2M3: m = 3, q = 2^-3   -> rel 2^-4, abs 2^-4
//   int8:     integers          -> rel 0,    abs 1/2
//   fp16:     m = 10, q = 2^-24 -> rel 2^-11, abs 2^-25 (unscaled: scale 1)
//   bf16:     m = 7, q = 2^-133 -> rel 2^-8, abs 2^-134
//   fp32:     exact.
// Grouped formats: the same with each group's fp16 scale in place of the row scale (the
// codes are computed with the stored fp16 scale, so its rounding adds no error of its own).
// Scaled formats add three fp32 roundings: the quotient w / scale (relative u), the product
// code * scale on decode (relative u of <= max * scale), and |y| <= |w| / scale (1 + u). The
// slack 4u (|w| + max * scale) covers them with room for the abs term's own product.
struct ErrorBound {
  double rel, abs;
};

ErrorBound round_trip_bound(const CodecRecord& c) {
  switch (c.format) {
    case WeightFormat::f32: return {0.0, 0.0};
    case WeightFormat::f16: return {std::ldexp(1.0, -11), std::ldexp(1.0, -25)};
    case WeightFormat::bf16: return {std::ldexp(1.0, -8), std::ldexp(1.0, -134)};
    case WeightFormat::int8:
    case WeightFormat::int8_g32:
    case WeightFormat::int8_g64: return {0.0, 0.5};
    case WeightFormat::fp8_e4m3:
    case WeightFormat::fp8_g32:
    case WeightFormat::fp8_g64: return {std::ldexp(1.0, -4), std::ldexp(1.0, -10)};
    case WeightFormat::fp6_e3m2: return {std::ldexp(1.0, -3), std::ldexp(1.0, -5)};
    case WeightFormat::fp6_e2m3:
    case WeightFormat::fp6_e2m3_g32:
    case WeightFormat::fp6_e2m3_g64: return {std::ldexp(1.0, -4), std::ldexp(1.0, -4)};
  }
  ADD_FAILURE() << c.name << ": no round-trip error bound; derive one in this file";
  return {0.0, 0.0};
}

// Rows mixing a Gaussian body, outliers and values spread over many binades (so subnormal
// codes are used too); magnitudes stay inside fp16's range.
std::vector<float> test_row(int64_t n, std::mt19937& rng, float sigma) {
  std::normal_distribution<float> normal(0.0f, sigma);
  std::uniform_real_distribution<float> log2mag(-14.0f, 3.0f);
  std::vector<float> w(size_t(n), 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    switch (rng() % 4) {
      case 0: w[size_t(i)] = normal(rng); break;
      case 1: w[size_t(i)] = normal(rng) * 0.01f; break;
      case 2: w[size_t(i)] = std::exp2(log2mag(rng)) * sigma * (rng() % 2 ? 1.0f : -1.0f); break;
      default: w[size_t(i)] = i % 17 == 0 ? 8.0f * sigma : normal(rng);
    }
  }
  return w;
}

struct Encoded {
  std::vector<uint8_t> packed;  // [row_bytes(n)]
  float scale = -1.0f;
};

// Encodes into a buffer with a guard band, checking the codec writes exactly row_bytes(n).
Encoded encode_guarded(const CodecRecord& c, const std::vector<float>& w) {
  const int64_t n = int64_t(w.size());
  const size_t bytes = size_t(c.row_bytes(n));
  std::vector<uint8_t> buf(bytes + 16, 0xa5);
  Encoded e;
  c.encode_row(w.data(), n, buf.data(), &e.scale);
  for (size_t i = bytes; i < buf.size(); ++i)
    EXPECT_EQ(buf[i], 0xa5) << c.name << ": encode_row wrote past row_bytes(" << n << ")";
  e.packed.assign(buf.begin(), buf.begin() + long(bytes));
  return e;
}

std::vector<float> decode_guarded(const CodecRecord& c, const Encoded& e, int64_t n) {
  std::vector<float> buf(size_t(n) + 4, 12345.0f);
  c.decode_row(e.packed.data(), e.scale, n, buf.data());
  for (size_t i = size_t(n); i < buf.size(); ++i)
    EXPECT_EQ(buf[i], 12345.0f) << c.name << ": decode_row wrote past n = " << n;
  buf.resize(size_t(n));
  return buf;
}

class EveryCodec : public ::testing::TestWithParam<const CodecRecord*> {};

TEST_P(EveryCodec, NameParsesBackAndFieldsAreConsistent) {
  const CodecRecord& c = *GetParam();
  EXPECT_EQ(parse_weight_format(c.name), c.format);
  EXPECT_EQ(&codec(c.format), &c);
  EXPECT_STREQ(format_name(c.format), c.name);
  EXPECT_GE(c.block_size, 1);
  EXPECT_LE(c.bits * c.block_size, 8 * c.block_bytes) << "a block must hold its codes";
  EXPECT_EQ(c.scaled || c.group_size > 0, c.max_code_value > 0.0f);
  EXPECT_FALSE(c.scaled && c.group_size > 0) << "a row scale or group scales, not both";
  EXPECT_EQ(c.group_size > 0, c.block_scale != nullptr);
  EXPECT_EQ(c.group_size > 0, c.encode_row_weighted != nullptr) << "group-scaled formats search their scales";
  if (c.group_size > 0) {
    EXPECT_EQ(c.block_size, c.group_size) << "one scale per block";
    // The element format: per row, the same codes, packed so a group's codes are exactly
    // the block after its 2-byte scale (kernels split the blocks into codes and scales).
    const CodecRecord& e = codec(c.element);
    EXPECT_EQ(e.codes_format(), c.element);
    EXPECT_EQ(c.codes_format(), c.element);
    EXPECT_TRUE(e.scaled) << e.name;
    EXPECT_EQ(e.group_size, 0);
    EXPECT_EQ(e.bits, c.bits);
    EXPECT_EQ(e.max_code_value, c.max_code_value);
    EXPECT_EQ(e.row_bytes(c.group_size), c.block_bytes - 2);
  } else {
    EXPECT_EQ(c.codes_format(), c.format);
  }
  for (int64_t n : kLengths)
    EXPECT_EQ(c.row_bytes(n), (n + c.block_size - 1) / c.block_size * c.block_bytes) << n;
  EXPECT_EQ(c.row_bytes(0), 0);
}

TEST_P(EveryCodec, RoundTripWithinDerivedBound) {
  const CodecRecord& c = *GetParam();
  const ErrorBound bound = round_trip_bound(c);
  std::mt19937 rng(1234);
  for (int64_t n : kLengths) {
    for (float sigma : {0.02f, 1.0f, 30.0f}) {
      std::vector<float> w = test_row(n, rng, sigma);
      Encoded e = encode_guarded(c, w);
      float amax = 0.0f;
      for (float v : w) amax = std::max(amax, std::fabs(v));
      const float expected_scale = c.scaled && amax > 0.0f ? amax / c.max_code_value : 1.0f;
      ASSERT_EQ(e.scale, expected_scale) << c.name << " n=" << n;
      std::vector<float> d = decode_guarded(c, e, n);
      for (int64_t i = 0; i < n; ++i) {
        const double wi = w[size_t(i)];
        const double scale = c.group_size ? c.block_scale(e.packed.data() + i / c.group_size * c.block_bytes) : e.scale;
        const double max_term = c.packed() ? double(c.max_code_value) * scale : 0.0;
        const double slack = c.packed() ? 4 * kU * (std::fabs(wi) + max_term) : 0.0;
        const double tol = bound.rel * std::fabs(wi) + bound.abs * scale + slack;
        ASSERT_LE(std::fabs(double(d[size_t(i)]) - wi), tol)
            << c.name << " n=" << n << " sigma=" << sigma << " i=" << i << ": w=" << wi
            << " decoded " << d[size_t(i)] << " scale " << e.scale;
      }
    }
  }
}

TEST_P(EveryCodec, AllZeroRowHasScaleOneAndDecodesToZeros) {
  const CodecRecord& c = *GetParam();
  for (int64_t n : kLengths) {
    std::vector<float> w(size_t(n), 0.0f);
    Encoded e = encode_guarded(c, w);
    EXPECT_EQ(e.scale, 1.0f) << c.name << " n=" << n;
    for (float v : decode_guarded(c, e, n)) ASSERT_EQ(bits_of(v), 0u) << c.name << " n=" << n;
  }
}

// The scaled formats (one fp32 scale per row) of the table.
std::vector<const CodecRecord*> scaled_codecs() {
  std::vector<const CodecRecord*> scaled;
  for (const CodecRecord* c : all_codecs())
    if (c->scaled) scaled.push_back(c);
  return scaled;
}

class EveryScaledCodec : public ::testing::TestWithParam<const CodecRecord*> {};

// The largest magnitude of a row decodes to exactly +-max_code_value * scale, even where the
// fp32 quotient amax / (amax / max) is not exactly max (see scaled_codec.h).
TEST_P(EveryScaledCodec, LargestWeightGetsTheMaxCode) {
  const CodecRecord& c = *GetParam();
  std::mt19937 rng(99);
  std::uniform_real_distribution<float> log2mag(-100.0f, 100.0f);
  int inexact = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    const float amax = std::exp2(log2mag(rng));
    const float sign = trial % 2 ? -1.0f : 1.0f;
    std::vector<float> w = {0.5f * amax, sign * amax, -0.25f * amax};
    Encoded e = encode_guarded(c, w);
    inexact += amax / e.scale != c.max_code_value;
    std::vector<float> d = decode_guarded(c, e, 3);
    ASSERT_EQ(d[1], sign * (c.max_code_value * e.scale)) << c.name << " amax=" << amax;
  }
  EXPECT_GT(inexact, 100) << "the inexact-quotient case was not exercised";
}

// A row so small that amax / max underflows still encodes to finite values of the right sign.
TEST_P(EveryScaledCodec, TinyRowsStayFinite) {
  const CodecRecord& c = *GetParam();
  for (float amax : {FLT_TRUE_MIN, 4 * FLT_TRUE_MIN, 1e-40f, FLT_MIN}) {
    std::vector<float> w = {amax, -amax, 0.0f};
    Encoded e = encode_guarded(c, w);
    EXPECT_TRUE(std::isfinite(e.scale) && e.scale > 0.0f) << c.name << " " << amax;
    std::vector<float> d = decode_guarded(c, e, 3);
    EXPECT_TRUE(std::isfinite(d[0]) && d[0] >= 0.0f && d[1] == -d[0]) << c.name << " " << amax;
    EXPECT_LE(std::fabs(d[0] - amax), 0.5f * amax) << c.name << " " << amax;
  }
}

// The group-scaled formats (an fp16 scale inside each block) of the table.
std::vector<const CodecRecord*> grouped_codecs() {
  std::vector<const CodecRecord*> grouped;
  for (const CodecRecord* c : all_codecs())
    if (c->group_size > 0) grouped.push_back(c);
  return grouped;
}

class EveryGroupedCodec : public ::testing::TestWithParam<const CodecRecord*> {};

// A block after its scale is a row of the element format: the element codec's decode of
// those bytes (scale 1) times the block's scale is the grouped decode, bit for bit (the
// CPU and CUDA kernels keep codes and scales apart on that basis).
TEST_P(EveryGroupedCodec, BlocksAreElementRowsTimesTheirScale) {
  const CodecRecord& c = *GetParam();
  const CodecRecord& e = codec(c.element);
  const int64_t g = c.group_size, n = 5 * g + 7;
  std::mt19937 rng(8);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> w(static_cast<size_t>(n));
  for (float& v : w) v = normal(rng) * 0.01f;
  const Encoded enc = encode_guarded(c, w);
  const std::vector<float> want = decode_guarded(c, enc, n);
  std::vector<float> part(static_cast<size_t>(g));
  for (int64_t g0 = 0; g0 < n; g0 += g) {
    const uint8_t* block = enc.packed.data() + g0 / g * c.block_bytes;
    const int64_t len = std::min(g, n - g0);
    e.decode_row(block + 2, 1.0f, len, part.data());
    for (int64_t i = 0; i < len; ++i)
      ASSERT_EQ(part[size_t(i)] * c.block_scale(block), want[size_t(g0 + i)]) << c.name << " weight " << g0 + i;
  }
}

// sum importance[i] * (w[i] - decode[i])^2 of a row encoded by `encode`.
template <typename Encode>
double weighted_error(const CodecRecord& c, const std::vector<float>& w, const std::vector<float>& importance,
                      Encode encode) {
  const int64_t n = int64_t(w.size());
  std::vector<uint8_t> packed(size_t(c.row_bytes(n)));
  float scale = -1.0f;
  encode(packed.data(), &scale);
  std::vector<float> d(w.size());
  c.decode_row(packed.data(), scale, n, d.data());
  double err = 0.0;
  for (size_t i = 0; i < w.size(); ++i) err += double(importance[i]) * (double(w[i]) - d[i]) * (double(w[i]) - d[i]);
  return err;
}

// A weight whose input is a million times more important than the rest of its group gets
// a scale fitted to it: 1.1 lies between two codes of every format at the rule's scale
// (set to 1 by a weight at the largest code), and the importance-weighted error falls
// at least a hundredfold against the unweighted encoding, which serves the largest weight.
TEST_P(EveryGroupedCodec, WeightedSearchServesTheImportantInputs) {
  const CodecRecord& c = *GetParam();
  const int64_t g = c.group_size;
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> small(-0.1f, 0.1f);
  std::vector<float> w(static_cast<size_t>(2 * g)), importance(w.size(), 1e-6f);
  for (float& v : w) v = small(rng);
  for (int64_t g0 = 0; g0 < 2 * g; g0 += g) {
    w[size_t(g0)] = 1.1f;
    w[size_t(g0 + 1)] = c.max_code_value;
    importance[size_t(g0)] = 1e6f;
  }
  const double plain = weighted_error(c, w, importance, [&](uint8_t* dst, float* scale) {
    c.encode_row(w.data(), int64_t(w.size()), dst, scale);
  });
  const double weighted = weighted_error(c, w, importance, [&](uint8_t* dst, float* scale) {
    c.encode_row_weighted(w.data(), int64_t(w.size()), importance.data(), dst, scale);
  });
  ASSERT_GT(plain, 0.0) << c.name;
  EXPECT_LE(weighted, 0.01 * plain) << c.name;
}

// With every importance 0 all candidates tie, and a tie keeps the rule's scale.
TEST_P(EveryGroupedCodec, ZeroImportanceKeepsTheRuleScale) {
  const CodecRecord& c = *GetParam();
  const int64_t g = c.group_size, n = 3 * g + 5;
  std::mt19937 rng(13);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(static_cast<size_t>(n)), zeros(w.size(), 0.0f);
  for (float& v : w) v = normal(rng);
  std::vector<uint8_t> packed(size_t(c.row_bytes(n)));
  float scale = -1.0f;
  c.encode_row_weighted(w.data(), n, zeros.data(), packed.data(), &scale);
  ASSERT_EQ(scale, 1.0f) << c.name;
  for (int64_t g0 = 0; g0 < n; g0 += g) {
    float amax = 0.0f;
    for (int64_t i = g0; i < std::min(n, g0 + g); ++i) amax = std::max(amax, std::fabs(w[size_t(i)]));
    const uint8_t* block = packed.data() + g0 / g * c.block_bytes;
    EXPECT_EQ(quant::block_scale_bits(block), quant::group_scale_f16(amax, c.max_code_value)) << c.name << " group " << g0 / g;
  }
}

// Each group's scale is searched near amax(group) / max_code_value (the exact bits are
// checked against scripts/make_codec_goldens.py's search in CodecRowsVsNumpy): within a
// factor 2 of it (at least fp16's smallest subnormal for groups below its range, 1 for
// all-zero groups), and the group's largest weight decodes within half of itself (below
// fp16's range: an eighth plus 2^-24).
TEST_P(EveryGroupedCodec, GroupScaleIsNearAmaxOverMax) {
  const CodecRecord& c = *GetParam();
  const int64_t g = c.group_size;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> log2mag(-30.0f, 15.0f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int trial = 0; trial < 2000; ++trial) {
    const int64_t n = 3 * g + trial % g;  // partial last group too
    const float mag = std::exp2(log2mag(rng));
    std::vector<float> w(static_cast<size_t>(n));
    for (float& v : w) v = normal(rng) * mag;
    if (trial % 7 == 0) std::fill(w.begin() + g, w.begin() + 2 * g, 0.0f);  // an all-zero group
    Encoded e = encode_guarded(c, w);
    ASSERT_EQ(e.scale, 1.0f) << c.name;
    std::vector<float> d = decode_guarded(c, e, n);
    for (int64_t g0 = 0; g0 < n; g0 += g) {
      float amax = 0.0f;
      int64_t at = g0;
      for (int64_t i = g0; i < std::min(n, g0 + g); ++i)
        if (std::fabs(w[size_t(i)]) > amax) amax = std::fabs(w[size_t(i)]), at = i;
      const uint8_t* block = e.packed.data() + g0 / g * c.block_bytes;
      const float s = c.block_scale(block);
      if (amax == 0.0f) {
        ASSERT_EQ(s, 1.0f) << c.name;
        continue;
      }
      const double want = double(amax) / c.max_code_value;
      const uint16_t bits = uint16_t(block[0] | block[1] << 8);
      ASSERT_TRUE(bits >= 1u && bits <= 0x7bffu) << c.name << " amax " << amax << ": scale bits " << bits;
      if (want > std::ldexp(1.0, -24)) {
        ASSERT_GE(double(s), 0.5 * want) << c.name << " amax " << amax;
        ASSERT_LE(double(s), 2.0 * want) << c.name << " amax " << amax;
      }
      // Below fp16's range the scale is fixed at 2^-24: the weight keeps the element code's
      // relative precision (<= 2^-4 of itself) plus at most one 2^-24 step.
      const double tol = want <= std::ldexp(1.0, -24) ? double(s) + 0.125 * amax : 0.5 * amax;
      ASSERT_LE(std::fabs(double(d[size_t(at)]) - w[size_t(at)]), tol) << c.name << " amax " << amax;
    }
  }
}

// dot_row against the dot of decode_row's output, in double. dot_row sums code_i * x_i in fp32
// and multiplies by scale once; decode_row rounds each code_i * scale. Recursive fp32
// summation of n products is within gamma_n sum|terms| (gamma_n = n u / (1 - n u)), plus one
// rounding per product, one for the final scale, and one per decoded value:
// |dot_row - sum d_i x_i| <= (n + 4) u sum |d_i x_i| (first order; n u << 1 here).
TEST_P(EveryCodec, DotRowMatchesDecodedDot) {
  const CodecRecord& c = *GetParam();
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t n : kLengths) {
    std::vector<float> w = test_row(n, rng, 0.5f);
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = normal(rng);
    Encoded e = encode_guarded(c, w);
    std::vector<float> d = decode_guarded(c, e, n);
    double ref = 0.0, mag = 0.0;
    for (size_t i = 0; i < size_t(n); ++i) {
      ref += double(d[i]) * x[i];
      mag += std::fabs(double(d[i]) * x[i]);
    }
    const float got = c.dot_row(e.packed.data(), e.scale, x.data(), n);
    EXPECT_LE(std::fabs(got - ref), double(n + 4) * kU * mag)
        << c.name << " n=" << n << ": dot_row " << got << ", decoded dot " << ref;
  }
}

std::string codec_name(const ::testing::TestParamInfo<const CodecRecord*>& info) {
  return testing::test_name(info.param->name);
}

// first_non_finite agrees with decode_row on which codes are not finite: rows made of every
// byte pattern (each packed code of every format appears), with one pattern planted late.
TEST_P(EveryCodec, FirstNonFiniteAgreesWithDecode) {
  const CodecRecord& c = *GetParam();
  ASSERT_NE(c.first_non_finite, nullptr) << c.name;
  const int64_t n = 37 * c.block_size;
  for (int fill = 0; fill < 256; ++fill)
    for (int plant = 0; plant < 256; plant += 17) {
      std::vector<uint8_t> packed(size_t(c.row_bytes(n)), uint8_t(fill));
      packed[packed.size() - size_t(c.block_bytes)] = uint8_t(plant);
      std::vector<float> decoded(static_cast<size_t>(n));
      c.decode_row(packed.data(), 1.0f, n, decoded.data());
      int64_t first = -1;
      for (int64_t i = 0; i < n && first < 0; ++i)
        if (!std::isfinite(decoded[size_t(i)])) first = i;
      ASSERT_EQ(c.first_non_finite(packed.data(), n), first) << c.name << " fill " << fill << " plant " << plant;
    }
  // Encoded rows are always finite.
  std::mt19937 rng(3);
  const std::vector<float> w = test_row(n, rng, 1.0f);
  std::vector<uint8_t> packed(size_t(c.row_bytes(n)));
  float scale = 0.0f;
  c.encode_row(w.data(), n, packed.data(), &scale);
  EXPECT_EQ(c.first_non_finite(packed.data(), n), -1) << c.name;
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, EveryCodec, ::testing::ValuesIn(all_codecs()), codec_name);
INSTANTIATE_TEST_SUITE_P(ScaledCodecs, EveryScaledCodec, ::testing::ValuesIn(scaled_codecs()),
                         codec_name);
INSTANTIATE_TEST_SUITE_P(GroupedCodecs, EveryGroupedCodec, ::testing::ValuesIn(grouped_codecs()),
                         codec_name);

// The table lists every enum value once, in enum order, with distinct names.
TEST(CodecTable, CoversEveryFormatOnce) {
  const auto& all = all_codecs();
  std::set<std::string> names;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(int(all[i]->format), int(i)) << all[i]->name << " out of enum order";
    EXPECT_TRUE(names.insert(all[i]->name).second) << "duplicate name " << all[i]->name;
  }
  for (const char* required : {"fp32", "fp16", "bf16", "int8-row", "fp8-row", "fp6-e3m2", "fp6-e2m3", "int8-g32", "fp8-g32",
                               "fp6-e2m3-g32", "int8-g64", "fp8-g64", "fp6-e2m3-g64"})
    EXPECT_EQ(names.count(required), 1u) << required;
}

// Each width's alias names a codec of that width and is no codec's name (a file holds codec
// names only, so an alias can change meaning without changing any file's).
TEST(CodecTable, AliasesNameACodecOfTheirWidth) {
  std::set<std::string> aliases;
  for (const FormatAlias& a : format_aliases()) {
    SCOPED_TRACE(a.name);
    EXPECT_TRUE(aliases.insert(a.name).second);
    for (const CodecRecord* c : all_codecs()) EXPECT_STRNE(c->name, a.name);
    const CodecRecord& target = codec(a.format);
    EXPECT_EQ(std::string(a.name).substr(0, 3), std::string(target.name).substr(0, 3));
    EXPECT_EQ(parse_weight_format(a.name), a.format);
  }
  EXPECT_EQ(aliases, (std::set<std::string>{"int8", "fp8", "fp6"}));
}

}  // namespace
}  // namespace llmrun
