// The scale searches' round_scaled(v) (code_traits.h) against decode(encode(v)), bit for
// bit: every grid value and its neighbours, the midpoints between grid values (the ties)
// and one ulp either side, and a sweep over the fp32 range. The slow exhaustive test walks
// every finite pattern.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "kernels/quant/code_traits.h"
#include "tests/quant/codec_references.h"

namespace llmrun {
namespace {

using testing::float_of;

template <typename T>
uint64_t mismatches(const char* name) {
  uint64_t bad = 0;
  auto check = [&](float v) {
    if (!std::isfinite(v)) return;
    const float want = T::decode(T::encode(v)), got = T::round_scaled(v);
    if (quant::f32_bits(got) != quant::f32_bits(want) && ++bad <= 5)
      ADD_FAILURE() << name << ": round_scaled(" << v << ") = " << got << ", decode(encode) = " << want;
  };
  for (int code = 0; code < (1 << T::kBits); ++code) {
    const float g = T::decode(uint8_t(code));
    if (!std::isfinite(g)) continue;
    for (int code2 = 0; code2 < (1 << T::kBits); ++code2) {
      const float h = T::decode(uint8_t(code2));
      if (!std::isfinite(h)) continue;
      const float mid = 0.5f * (g + h);  // exact: a grid value has few mantissa bits
      for (float v : {mid, std::nextafter(mid, 1e30f), std::nextafter(mid, -1e30f)}) check(v);
    }
    for (float v : {g, std::nextafter(g, 1e30f), std::nextafter(g, -1e30f), 2.0f * g, 1e30f * g}) check(v);
  }
  for (uint64_t u = 0; u < (uint64_t(1) << 32); u += 1009) check(float_of(uint32_t(u)));
  return bad;
}

TEST(RoundScaled, IsDecodeOfEncode) {
  EXPECT_EQ(mismatches<quant::Int8Traits>("int8"), 0u);
  EXPECT_EQ(mismatches<quant::Fp8E4M3Traits>("fp8 E4M3"), 0u);
  EXPECT_EQ(mismatches<quant::Fp6E3M2Traits>("fp6 E3M2"), 0u);
  EXPECT_EQ(mismatches<quant::Fp6E2M3Traits>("fp6 E2M3"), 0u);
}

}  // namespace
}  // namespace llmrun
