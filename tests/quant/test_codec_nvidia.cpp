// Level 2 and 3 (default suite): our fp8/fp6 codes against NVIDIA's host conversions from
// the CUDA toolkit headers: every code decoded, and encodes of every 256th fp32 bit pattern
// plus every value, tie and boundary of each format. The full 2^32 walk is in
// test_codec_exhaustive.cpp (label slow).
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <set>
#include <vector>

#include "kernels/quant/fp6_e3m2.h"
#include "kernels/quant/fp8_e4m3.h"
#include "tests/quant/codec_references.h"

namespace llmrun {
namespace {

using testing::bits_of;
using testing::float_of;
using testing::same_float;

TEST(Fp8E4M3VsNvidia, DecodeAll256Codes) {
  LLMRUN_REQUIRE_NVIDIA();
  for (int c = 0; c < 256; ++c) {
    float ours = quant::fp8_e4m3_to_f32(uint8_t(c));
    float nv = testing::nv_fp8_to_f32(uint8_t(c));
    EXPECT_TRUE(same_float(ours, nv)) << "code 0x" << std::hex << c << ": ours " << ours
                                      << ", NVIDIA " << nv;
  }
}

TEST(Fp6E3M2VsNvidia, DecodeAll64Codes) {
  LLMRUN_REQUIRE_NVIDIA();
  for (int c = 0; c < 64; ++c) {
    float ours = quant::fp6_e3m2_to_f32(uint8_t(c));
    float nv = testing::nv_fp6_to_f32(uint8_t(c));
    EXPECT_TRUE(same_float(ours, nv)) << "code 0x" << std::hex << c << ": ours " << ours
                                      << ", NVIDIA " << nv;
  }
}

// fp32 inputs that exercise every rounding decision of a format whose code values NVIDIA's
// decoder gives: each value, each midpoint between neighbours (the ties), the fp32 numbers
// just either side of both, the overflow midpoint (max + half an ulp), fp32 subnormals,
// zeros, inf and NaNs, each with both signs; plus every 256th bit pattern (low byte varied
// so the sticky bits are not always zero).
std::vector<uint32_t> probe_inputs(float (*nv_decode)(uint8_t), int ncodes, float overflow_mid) {
  std::set<float> mags;
  for (int c = 0; c < ncodes; ++c) {
    float v = nv_decode(uint8_t(c));
    if (std::isfinite(v)) mags.insert(std::fabs(v));
  }
  const std::vector<float> sorted(mags.begin(), mags.end());
  std::vector<float> points = sorted;
  for (size_t i = 0; i + 1 < sorted.size(); ++i)
    points.push_back((sorted[i] + sorted[i + 1]) / 2);  // exact: codes have <= 4 significant bits
  points.insert(points.end(), {overflow_mid, 2 * overflow_mid, 1e10f, FLT_MAX});
  std::vector<uint32_t> in;
  for (float p : points)
    for (float v : {p, std::nextafter(p, INFINITY), std::nextafter(p, 0.0f)}) in.push_back(bits_of(v));
  in.insert(in.end(), {0x00000000u, 0x00000001u, 0x007fffffu, 0x00800000u, 0x7f800000u,
                       0x7fc00000u, 0x7f800001u, 0x7fffffffu});
  const size_t special = in.size();
  for (size_t i = 0; i < special; ++i) in.push_back(in[i] | 0x80000000u);
  for (uint32_t i = 0; i < (1u << 24); ++i) in.push_back(i << 8 | (i & 0xffu));
  return in;
}

template <typename Ours, typename Nv>
void expect_encodes_match(const std::vector<uint32_t>& inputs, Ours ours, Nv nv) {
  size_t mismatches = 0;
  for (uint32_t u : inputs) {
    uint8_t a = ours(float_of(u)), b = nv(float_of(u));
    if (a != b && ++mismatches <= 10)
      ADD_FAILURE() << "input 0x" << std::hex << u << " (" << float_of(u) << "): ours 0x"
                    << int(a) << ", NVIDIA 0x" << int(b);
  }
  EXPECT_EQ(mismatches, 0u) << "of " << inputs.size() << " inputs";
}

TEST(Fp8E4M3VsNvidia, EncodeTiesBoundariesAndEvery256thPattern) {
  LLMRUN_REQUIRE_NVIDIA();
  auto inputs = probe_inputs(testing::nv_fp8_to_f32, 256, 464.0f);
  // The ties were really generated: 1.0625 lies between 1.0 and 1.125.
  ASSERT_GE(std::count(inputs.begin(), inputs.end(), bits_of(1.0625f)), 1);
  expect_encodes_match(inputs, quant::fp8_e4m3_from_f32, testing::nv_fp8_from_f32);
}

TEST(Fp6E3M2VsNvidia, EncodeTiesBoundariesAndEvery256thPattern) {
  LLMRUN_REQUIRE_NVIDIA();
  auto inputs = probe_inputs(testing::nv_fp6_to_f32, 64, 30.0f);
  ASSERT_GE(std::count(inputs.begin(), inputs.end(), bits_of(1.125f)), 1);
  expect_encodes_match(inputs, quant::fp6_e3m2_from_f32, testing::nv_fp6_from_f32);
}

// Where the two independent references disagree, on the golden inputs of
// scripts/make_codec_goldens.py. Expected (and documented in fp8_e4m3.h / fp6_e3m2.h):
//   fp8: |x| > 464 or inf: NVIDIA SATFINITE saturates to +-448, ml_dtypes gives NaN;
//        NaN: NVIDIA gives 0x7f whatever the sign, ml_dtypes keeps the sign (0xff for -NaN).
//   fp6: NaN: NVIDIA gives +28 (0x1f), ml_dtypes a zero whose sign is the NaN's sign flipped.
// Nothing else may differ; the codec follows NVIDIA (the spec's saturation).
TEST(NvidiaVsMlDtypes, DisagreeOnlyOnOverflowAndNaN) {
  LLMRUN_REQUIRE_NVIDIA();
  struct Case {
    const char* file;
    uint8_t (*nv)(float);
    float overflow_mid;
  } cases[] = {{"fp8_e4m3fn_encode.txt", testing::nv_fp8_from_f32, 464.0f},
               {"fp6_e3m2fn_encode.txt", testing::nv_fp6_from_f32, 30.0f}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    size_t same = 0, overflow = 0, nan = 0;
    for (const testing::CodePair& p : testing::golden_pairs(c.file)) {
      float x = float_of(p.a);
      uint8_t nv = c.nv(x);
      if (nv == p.b) {
        ++same;
      } else if (std::isnan(x)) {
        ++nan;
      } else if (std::fabs(x) > c.overflow_mid) {
        ++overflow;
      } else {
        ADD_FAILURE() << "input 0x" << std::hex << p.a << " (" << x << "): NVIDIA 0x" << int(nv)
                      << ", ml_dtypes 0x" << p.b;
      }
    }
    std::printf("%s: NVIDIA == ml_dtypes on %zu inputs; differ on %zu overflowing, %zu NaN\n",
                c.file, same, overflow, nan);
    EXPECT_GT(same, 1000u);
  }
  // Decode tables: equal except the sign of fp8 NaN (ml_dtypes -NaN for 0xff).
  for (const testing::CodePair& p : testing::golden_pairs("fp8_e4m3fn_decode.txt"))
    EXPECT_TRUE(same_float(testing::nv_fp8_to_f32(uint8_t(p.a)), float_of(p.b))) << p.a;
  for (const testing::CodePair& p : testing::golden_pairs("fp6_e3m2fn_decode.txt"))
    EXPECT_TRUE(same_float(testing::nv_fp6_to_f32(uint8_t(p.a)), float_of(p.b))) << p.a;
}

}  // namespace
}  // namespace llmrun
