// Level 1: hand-built values and blocks whose expected bits were worked out by hand from the
// format definitions (comments show the arithmetic).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/quant/finite.h"
#include "kernels/quant/fp6_e2m3.h"
#include "kernels/quant/fp6_e3m2.h"
#include "kernels/quant/fp8_e4m3.h"
#include "kernels/quant/int8.h"
#include "kernels/quant/weight_format.h"
#include "runtime/error.h"
#include "tests/quant/codec_references.h"

namespace llmrun {
namespace {

using testing::bits_of;
using testing::same_float;

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

TEST(Fp8E4M3Known, Decode) {
  EXPECT_EQ(quant::fp8_e4m3_to_f32(0x7e), 448.0f);            // 0.1111.110 = 1.75 * 2^(15-7)
  EXPECT_EQ(quant::fp8_e4m3_to_f32(0xfe), -448.0f);
  EXPECT_EQ(quant::fp8_e4m3_to_f32(0x01), std::ldexp(1.0f, -9));   // subnormal 1/8 * 2^-6
  EXPECT_EQ(quant::fp8_e4m3_to_f32(0x07), std::ldexp(7.0f, -9));   // largest subnormal
  EXPECT_EQ(quant::fp8_e4m3_to_f32(0x08), std::ldexp(1.0f, -6));   // smallest normal
  EXPECT_EQ(quant::fp8_e4m3_to_f32(0x38), 1.0f);              // 0.0111.000
  EXPECT_EQ(quant::fp8_e4m3_to_f32(0x3c), 1.5f);              // 0.0111.100
  EXPECT_EQ(quant::fp8_e4m3_to_f32(0x30), 0.5f);
  EXPECT_EQ(bits_of(quant::fp8_e4m3_to_f32(0x00)), 0x00000000u);
  EXPECT_EQ(bits_of(quant::fp8_e4m3_to_f32(0x80)), 0x80000000u);  // -0
  EXPECT_TRUE(std::isnan(quant::fp8_e4m3_to_f32(0x7f)));
  EXPECT_TRUE(std::isnan(quant::fp8_e4m3_to_f32(0xff)));
}

TEST(Fp8E4M3Known, Encode) {
  EXPECT_EQ(quant::fp8_e4m3_from_f32(448.0f), 0x7e);
  EXPECT_EQ(quant::fp8_e4m3_from_f32(464.0f), 0x7e);   // tie 448|480: even mantissa 110
  EXPECT_EQ(quant::fp8_e4m3_from_f32(465.0f), 0x7e);   // would round to 480 = NaN code: saturate
  EXPECT_EQ(quant::fp8_e4m3_from_f32(1e30f), 0x7e);
  EXPECT_EQ(quant::fp8_e4m3_from_f32(kInf), 0x7e);     // NVIDIA SATFINITE: inf -> max
  EXPECT_EQ(quant::fp8_e4m3_from_f32(-kInf), 0xfe);
  EXPECT_EQ(quant::fp8_e4m3_from_f32(kNaN), 0x7f);
  EXPECT_EQ(quant::fp8_e4m3_from_f32(-kNaN), 0x7f);    // NVIDIA drops the sign of NaN
  EXPECT_EQ(quant::fp8_e4m3_from_f32(0.0f), 0x00);
  EXPECT_EQ(quant::fp8_e4m3_from_f32(-0.0f), 0x80);
  EXPECT_EQ(quant::fp8_e4m3_from_f32(std::ldexp(1.0f, -10)), 0x00);   // tie 0|2^-9 -> even 0
  EXPECT_EQ(quant::fp8_e4m3_from_f32(-std::ldexp(1.0f, -10)), 0x80);
  EXPECT_EQ(quant::fp8_e4m3_from_f32(std::nextafter(std::ldexp(1.0f, -10), 1.0f)), 0x01);
  EXPECT_EQ(quant::fp8_e4m3_from_f32(std::ldexp(3.0f, -10)), 0x02);   // tie 1|2 subnormal
  EXPECT_EQ(quant::fp8_e4m3_from_f32(std::ldexp(15.0f, -10)), 0x08);  // tie 7|8: carry to normal
  EXPECT_EQ(quant::fp8_e4m3_from_f32(1.0625f), 0x38);  // tie 1.0|1.125 -> even 1.0
  EXPECT_EQ(quant::fp8_e4m3_from_f32(1.1875f), 0x3a);  // tie 1.125|1.25 -> even 1.25
  EXPECT_EQ(quant::fp8_e4m3_from_f32(-1.5f), 0xbc);
  EXPECT_EQ(quant::fp8_e4m3_from_f32(15.5f), 0x58);    // tie 15 (0x57)|16 -> 16 = 0.1011.000
}

TEST(Fp6E3M2Known, Decode) {
  EXPECT_EQ(quant::fp6_e3m2_to_f32(0x1f), 28.0f);      // 0.111.11 = 1.75 * 2^(7-3)
  EXPECT_EQ(quant::fp6_e3m2_to_f32(0x3f), -28.0f);
  EXPECT_EQ(quant::fp6_e3m2_to_f32(0x01), 0.0625f);    // subnormal 1/4 * 2^-2
  EXPECT_EQ(quant::fp6_e3m2_to_f32(0x03), 0.1875f);    // largest subnormal
  EXPECT_EQ(quant::fp6_e3m2_to_f32(0x04), 0.25f);      // smallest normal
  EXPECT_EQ(quant::fp6_e3m2_to_f32(0x0c), 1.0f);       // 0.011.00
  EXPECT_EQ(quant::fp6_e3m2_to_f32(0x13), 3.5f);       // 0.100.11 = 1.75 * 2
  EXPECT_EQ(bits_of(quant::fp6_e3m2_to_f32(0x20)), 0x80000000u);  // -0
}

TEST(Fp6E3M2Known, Encode) {
  EXPECT_EQ(quant::fp6_e3m2_from_f32(28.0f), 0x1f);
  EXPECT_EQ(quant::fp6_e3m2_from_f32(29.0f), 0x1f);
  EXPECT_EQ(quant::fp6_e3m2_from_f32(30.0f), 0x1f);    // tie 28|32 (32 not representable)
  EXPECT_EQ(quant::fp6_e3m2_from_f32(1e30f), 0x1f);
  EXPECT_EQ(quant::fp6_e3m2_from_f32(-kInf), 0x3f);
  EXPECT_EQ(quant::fp6_e3m2_from_f32(kNaN), 0x1f);     // NVIDIA: NaN -> +max
  EXPECT_EQ(quant::fp6_e3m2_from_f32(-kNaN), 0x1f);
  EXPECT_EQ(quant::fp6_e3m2_from_f32(-0.0f), 0x20);
  EXPECT_EQ(quant::fp6_e3m2_from_f32(0.03125f), 0x00);   // tie 0|0.0625 -> even 0
  EXPECT_EQ(quant::fp6_e3m2_from_f32(-0.03125f), 0x20);
  EXPECT_EQ(quant::fp6_e3m2_from_f32(0.09375f), 0x02);   // tie 1|2 subnormal -> 2
  EXPECT_EQ(quant::fp6_e3m2_from_f32(0.21875f), 0x04);   // tie 3|4: carry to normal
  EXPECT_EQ(quant::fp6_e3m2_from_f32(1.125f), 0x0c);     // tie 1.0|1.25 -> 1.0
  EXPECT_EQ(quant::fp6_e3m2_from_f32(1.375f), 0x0e);     // tie 1.25|1.5 -> 1.5
  EXPECT_EQ(quant::fp6_e3m2_from_f32(-3.5f), 0x33);
}

TEST(Fp6E2M3Known, Decode) {
  EXPECT_EQ(quant::fp6_e2m3_to_f32(0x1f), 7.5f);       // 0.11.111 = 1.875 * 2^(3-1)
  EXPECT_EQ(quant::fp6_e2m3_to_f32(0x3f), -7.5f);
  EXPECT_EQ(quant::fp6_e2m3_to_f32(0x01), 0.125f);     // subnormal 1/8
  EXPECT_EQ(quant::fp6_e2m3_to_f32(0x07), 0.875f);     // largest subnormal
  EXPECT_EQ(quant::fp6_e2m3_to_f32(0x08), 1.0f);       // smallest normal
  EXPECT_EQ(quant::fp6_e2m3_to_f32(0x0c), 1.5f);       // 0.01.100
  EXPECT_EQ(quant::fp6_e2m3_to_f32(0x10), 2.0f);
  EXPECT_EQ(bits_of(quant::fp6_e2m3_to_f32(0x20)), 0x80000000u);  // -0
}

TEST(Fp6E2M3Known, Encode) {
  EXPECT_EQ(quant::fp6_e2m3_from_f32(7.5f), 0x1f);
  EXPECT_EQ(quant::fp6_e2m3_from_f32(7.75f), 0x1f);    // tie 7.5|8 (8 not representable)
  EXPECT_EQ(quant::fp6_e2m3_from_f32(1e30f), 0x1f);
  EXPECT_EQ(quant::fp6_e2m3_from_f32(-kInf), 0x3f);
  EXPECT_EQ(quant::fp6_e2m3_from_f32(kNaN), 0x1f);     // NVIDIA: NaN -> +max
  EXPECT_EQ(quant::fp6_e2m3_from_f32(-0.0f), 0x20);
  EXPECT_EQ(quant::fp6_e2m3_from_f32(0.0625f), 0x00);  // tie 0|0.125 -> even 0
  EXPECT_EQ(quant::fp6_e2m3_from_f32(0.1875f), 0x02);  // tie 1|2 subnormal -> 2
  EXPECT_EQ(quant::fp6_e2m3_from_f32(0.9375f), 0x08);  // tie 7|8: carry to normal
  EXPECT_EQ(quant::fp6_e2m3_from_f32(1.0625f), 0x08);  // tie 1.0|1.125 -> 1.0
  EXPECT_EQ(quant::fp6_e2m3_from_f32(-3.5f), 0x36);    // -(1.75 * 2): 1.10.110
}

TEST(Fp6E3M2Known, PackFourCodesInThreeBytes) {
  // w = c0 | c1 << 6 | c2 << 12 | c3 << 18 = 0x01 + 0x80 + 0x3000 + 0xfc0000 = 0xfc3081
  struct Case {
    uint8_t codes[4];
    uint8_t bytes[3];
  } cases[] = {
      {{0x01, 0x02, 0x03, 0x3f}, {0x81, 0x30, 0xfc}},
      {{0x3f, 0x00, 0x00, 0x00}, {0x3f, 0x00, 0x00}},
      {{0x00, 0x3f, 0x00, 0x00}, {0xc0, 0x0f, 0x00}},
      {{0x00, 0x00, 0x3f, 0x00}, {0x00, 0xf0, 0x03}},
      {{0x00, 0x00, 0x00, 0x3f}, {0x00, 0x00, 0xfc}},
      {{0x2a, 0x15, 0x2a, 0x15}, {0x6a, 0xa5, 0x56}},  // w = 0x56a56a: alternating bits
  };
  for (const Case& c : cases) {
    uint8_t packed[3] = {0xee, 0xee, 0xee};
    quant::fp6_pack4(c.codes, packed);
    EXPECT_EQ(std::vector<uint8_t>(packed, packed + 3), std::vector<uint8_t>(c.bytes, c.bytes + 3));
    uint8_t codes[4];
    quant::fp6_unpack4(c.bytes, codes);
    EXPECT_EQ(std::vector<uint8_t>(codes, codes + 4), std::vector<uint8_t>(c.codes, c.codes + 4));
  }
}

TEST(Int8Known, ScaledValue) {
  EXPECT_EQ(quant::int8_from_scaled(0.5f), 0);    // ties to even
  EXPECT_EQ(quant::int8_from_scaled(1.5f), 2);
  EXPECT_EQ(quant::int8_from_scaled(2.5f), 2);
  EXPECT_EQ(quant::int8_from_scaled(-2.5f), -2);
  EXPECT_EQ(quant::int8_from_scaled(126.5f), 126);
  EXPECT_EQ(quant::int8_from_scaled(127.4f), 127);
  EXPECT_EQ(quant::int8_from_scaled(-200.0f), -127);  // never -128
  EXPECT_EQ(quant::int8_from_scaled(2.4999998f), 2);
}

struct KnownRow {
  const char* format;
  std::vector<float> w;
  float scale;
  std::vector<uint8_t> bytes;
  std::vector<float> decoded;
};

TEST(CodecRowKnown, EncodeAndDecode) {
  const std::vector<KnownRow> rows = {
      // scale = 63.5 / 127 = 0.5; quotients 127, 0.5, 1.5, -63.5 -> 127, 0, 2, -64
      {"int8-row", {63.5f, 0.25f, 0.75f, -31.75f}, 0.5f, {0x7f, 0x00, 0x02, 0xc0}, {63.5f, 0.0f, 1.0f, -32.0f}},
      // scale = 896 / 448 = 2; quotients 448, 0.5, -1.5 -> 0x7e, 0x30, 0xbc
      {"fp8-row", {896.0f, 1.0f, -3.0f}, 2.0f, {0x7e, 0x30, 0xbc}, {896.0f, 1.0f, -3.0f}},
      // scale = 56 / 28 = 2; quotients 28, 1, -0.25, 0.0625, 3.5 -> 1f 0c 24 01 | 13 (+3 pad)
      // block 0: w = 0x1f | 0x0c << 6 | 0x24 << 12 | 0x01 << 18 = 0x06431f
      {"fp6-e3m2", {56.0f, 2.0f, -0.5f, 0.125f, 7.0f}, 2.0f, {0x1f, 0x43, 0x06, 0x13, 0x00, 0x00}, {56.0f, 2.0f, -0.5f, 0.125f, 7.0f}},
      // all-zero rows: scale 1, zero codes
      {"int8-row", {0.0f, 0.0f, 0.0f}, 1.0f, {0, 0, 0}, {0.0f, 0.0f, 0.0f}},
      {"fp8-row", {0.0f}, 1.0f, {0}, {0.0f}},
      {"fp6-e3m2", {0.0f, 0.0f, 0.0f, 0.0f, 0.0f}, 1.0f, {0, 0, 0, 0, 0, 0}, {0.0f, 0.0f, 0.0f, 0.0f, 0.0f}},
  };
  for (const KnownRow& r : rows) {
    SCOPED_TRACE(r.format);
    const CodecRecord& c = codec(parse_weight_format(r.format));
    const int64_t n = int64_t(r.w.size());
    ASSERT_EQ(c.row_bytes(n), int64_t(r.bytes.size()));
    std::vector<uint8_t> packed(r.bytes.size(), 0xee);
    float scale = -1.0f;
    c.encode_row(r.w.data(), n, packed.data(), &scale);
    EXPECT_EQ(scale, r.scale);
    EXPECT_EQ(packed, r.bytes);
    std::vector<float> back(r.w.size());
    c.decode_row(r.bytes.data(), r.scale, n, back.data());
    EXPECT_EQ(back, r.decoded);
  }
}

TEST(CodecTableKnown, RecordFields) {
  struct Expected {
    const char* name;
    WeightFormat format;
    int bits, block_size, block_bytes;
    bool scaled;
    float max_code_value;
  } expected[] = {
      {"fp32", WeightFormat::f32, 32, 1, 4, false, 0.0f},
      {"fp16", WeightFormat::f16, 16, 1, 2, false, 0.0f},
      {"bf16", WeightFormat::bf16, 16, 1, 2, false, 0.0f},
      {"int8-row", WeightFormat::int8, 8, 1, 1, true, 127.0f},
      {"fp8-row", WeightFormat::fp8_e4m3, 8, 1, 1, true, 448.0f},
      {"fp6-e3m2", WeightFormat::fp6_e3m2, 6, 4, 3, true, 28.0f},
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.name);
    ASSERT_EQ(parse_weight_format(e.name), e.format);
    const CodecRecord& c = codec(e.format);
    EXPECT_STREQ(c.name, e.name);
    EXPECT_EQ(c.bits, e.bits);
    EXPECT_EQ(c.block_size, e.block_size);
    EXPECT_EQ(c.block_bytes, e.block_bytes);
    EXPECT_EQ(c.scaled, e.scaled);
    EXPECT_EQ(c.max_code_value, e.max_code_value);
  }
  EXPECT_EQ(codec(WeightFormat::fp6_e3m2).row_bytes(769), 579);  // ceil(769 / 4) * 3
}

TEST(CodecTableKnown, UnknownNameListsValidOnes) {
  try {
    parse_weight_format("fp4");
    FAIL() << "parse_weight_format accepted 'fp4'";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "unknown precision 'fp4' (valid: int8 (= int8-g32), fp8 (= fp8-g32), fp6 (= fp6-e2m3-g32), fp32, fp16, bf16, "
                 "int8-row, fp8-row, fp6-e3m2, fp6-e2m3, int8-g32, fp8-g32, fp6-e2m3-g32, int8-g64, fp8-g64, fp6-e2m3-g64)");
  }
}

// Files llmrun wrote before the width names became aliases hold "int8", "fp8", "fp6" for the
// per-row formats; read back, they must keep that meaning, and a file never names an alias.
TEST(CodecTableKnown, StoredNamesKeepTheirPerRowMeaning) {
  EXPECT_EQ(parse_stored_weight_format("int8"), WeightFormat::int8);
  EXPECT_EQ(parse_stored_weight_format("fp8"), WeightFormat::fp8_e4m3);
  EXPECT_EQ(parse_stored_weight_format("fp6"), WeightFormat::fp6_e3m2);
  EXPECT_EQ(parse_stored_weight_format("fp6-e2m3-g32"), WeightFormat::fp6_e2m3_g32);
  EXPECT_EQ(parse_weight_format("int8"), WeightFormat::int8_g32);
  try {
    parse_stored_weight_format("int4");
    FAIL() << "parse_stored_weight_format accepted 'int4'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown weight format 'int4'"), std::string::npos) << e.what();
  }
}

TEST(FiniteCheck, FindsFirstNonFinite) {
  std::vector<float> w = {1.0f, -2.0f, 0.0f, 3.0f};
  EXPECT_TRUE(quant::all_finite(w.data(), int64_t(w.size())));
  EXPECT_EQ(quant::first_non_finite(w.data(), int64_t(w.size())), -1);
  w[2] = kInf;
  w[3] = kNaN;
  EXPECT_FALSE(quant::all_finite(w.data(), int64_t(w.size())));
  EXPECT_EQ(quant::first_non_finite(w.data(), int64_t(w.size())), 2);
  w[2] = -kInf;
  EXPECT_EQ(quant::first_non_finite(w.data(), 2), -1);
  EXPECT_EQ(quant::first_non_finite(w.data() + 3, 1), 0);
}

}  // namespace
}  // namespace llmrun
