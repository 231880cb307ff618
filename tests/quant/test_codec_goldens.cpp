// Level 2 and 3 against ml_dtypes / numpy: the committed goldens in tests/quant/data, written
// by scripts/make_codec_goldens.py. These run everywhere (no CUDA toolkit needed).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "kernels/quant/fp6_e2m3.h"
#include "kernels/quant/fp6_e3m2.h"
#include "kernels/quant/fp8_e4m3.h"
#include "kernels/quant/weight_format.h"
#include "tests/quant/codec_references.h"

namespace llmrun {
namespace {

using testing::bits_of;
using testing::float_of;
using testing::same_float;

TEST(Fp8E4M3VsMlDtypes, DecodeAll256Codes) {
  auto table = testing::golden_pairs("fp8_e4m3fn_decode.txt");
  ASSERT_EQ(table.size(), 256u);
  for (const testing::CodePair& p : table)
    EXPECT_TRUE(same_float(quant::fp8_e4m3_to_f32(uint8_t(p.a)), float_of(p.b)))
        << "code 0x" << std::hex << p.a << ": ours " << quant::fp8_e4m3_to_f32(uint8_t(p.a))
        << ", ml_dtypes " << float_of(p.b);
}

TEST(Fp6E3M2VsMlDtypes, DecodeAll64Codes) {
  auto table = testing::golden_pairs("fp6_e3m2fn_decode.txt");
  ASSERT_EQ(table.size(), 64u);
  for (const testing::CodePair& p : table)
    EXPECT_TRUE(same_float(quant::fp6_e3m2_to_f32(uint8_t(p.a)), float_of(p.b)))
        << "code 0x" << std::hex << p.a << ": ours " << quant::fp6_e3m2_to_f32(uint8_t(p.a))
        << ", ml_dtypes " << float_of(p.b);
}

TEST(Fp6E2M3VsMlDtypes, DecodeAll64Codes) {
  auto table = testing::golden_pairs("fp6_e2m3fn_decode.txt");
  ASSERT_EQ(table.size(), 64u);
  for (const testing::CodePair& p : table)
    EXPECT_TRUE(same_float(quant::fp6_e2m3_to_f32(uint8_t(p.a)), float_of(p.b)))
        << "code 0x" << std::hex << p.a << ": ours " << quant::fp6_e2m3_to_f32(uint8_t(p.a))
        << ", ml_dtypes " << float_of(p.b);
}

// Our code must equal ml_dtypes' except where ml_dtypes departs from the spec (saturation,
// as NVIDIA SATFINITE): past the overflow midpoint (max + half an ulp) and for inf the spec
// says +-max, where ml_dtypes' fp8 gives NaN; NaN inputs get NVIDIA's code, which ml_dtypes
// chooses differently. Those inputs are checked against the spec's rule, whatever ml_dtypes says.
struct EncodeCase {
  const char* file;
  uint8_t (*ours)(float);
  float overflow_mid;
  uint8_t max_code, sign_bit, nan_code;
};

void check_encode_golden(const EncodeCase& c) {
  auto pairs = testing::golden_pairs(c.file);
  ASSERT_GT(pairs.size(), 1000u);
  size_t equal = 0, saturated = 0, saturated_ml_nan = 0, nan = 0, nan_ml_differs = 0;
  for (const testing::CodePair& p : pairs) {
    const float x = float_of(p.a);
    const uint8_t ours = c.ours(x);
    if (std::isnan(x)) {
      ++nan;
      nan_ml_differs += ours != p.b;
      EXPECT_EQ(ours, c.nan_code) << "NaN input 0x" << std::hex << p.a;
    } else if (std::fabs(x) > c.overflow_mid) {
      ++saturated;
      saturated_ml_nan += ours != p.b;
      EXPECT_EQ(ours, (std::signbit(x) ? c.sign_bit : 0) | c.max_code) << "overflowing " << x;
    } else {
      ++equal;
      EXPECT_EQ(ours, p.b) << "input 0x" << std::hex << p.a << " (" << x << "): ours 0x"
                           << int(ours) << ", ml_dtypes 0x" << p.b;
    }
  }
  std::printf("%s: %zu in-range inputs compared equal; %zu overflowing inputs saturated "
              "(ml_dtypes differs on %zu); %zu NaN inputs coded as NVIDIA (ml_dtypes differs on "
              "%zu)\n",
              c.file, equal, saturated, saturated_ml_nan, nan, nan_ml_differs);
  EXPECT_GT(saturated, 0u);
  EXPECT_GT(nan, 0u);
}

TEST(Fp8E4M3VsMlDtypes, EncodeGoldenInputs) {
  check_encode_golden({"fp8_e4m3fn_encode.txt", quant::fp8_e4m3_from_f32, 464.0f,
                       quant::kFp8E4M3MaxCode, 0x80, quant::kFp8E4M3NaN});
}

TEST(Fp6E3M2VsMlDtypes, EncodeGoldenInputs) {
  check_encode_golden({"fp6_e3m2fn_encode.txt", quant::fp6_e3m2_from_f32, 30.0f,
                       quant::kFp6E3M2MaxCode, 0x20, quant::kFp6E3M2MaxCode});
}

TEST(Fp6E2M3VsMlDtypes, EncodeGoldenInputs) {
  check_encode_golden({"fp6_e2m3fn_encode.txt", quant::fp6_e2m3_from_f32, 7.75f,
                       quant::kFp6E2M3MaxCode, 0x20, quant::kFp6E2M3MaxCode});
}

// Whole rows against numpy: scale = fp32(amax / max), q = rne(fp32(w / scale)) through
// np.rint (int8) or the ml_dtypes cast (fp8 clipped to +-448 first, fp6), fp6 packed by the
// script's own implementation of the documented layout.
TEST(CodecRowsVsNumpy, EncodeRowMatchesBitForBit) {
  auto rows = testing::golden_rows();
  ASSERT_GT(rows.size(), 30u);
  for (const testing::GoldenRow& r : rows) {
    const CodecRecord& c = codec(parse_weight_format(r.format));
    const int64_t n = int64_t(r.w.size());
    SCOPED_TRACE(::testing::Message() << r.format << " row of " << n << ", w[0] = " << r.w[0]);
    ASSERT_EQ(c.row_bytes(n), int64_t(r.packed.size()));
    std::vector<uint8_t> packed(r.packed.size(), 0xee);
    float scale = -1.0f;
    c.encode_row(r.w.data(), n, packed.data(), &scale);
    EXPECT_EQ(bits_of(scale), r.scale_bits) << scale << " vs " << float_of(r.scale_bits);
    EXPECT_EQ(packed, r.packed);
  }
}

}  // namespace
}  // namespace llmrun
