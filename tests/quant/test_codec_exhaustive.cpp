// Level 3, exhaustive (label slow): every one of the 2^32 fp32 bit patterns encoded by our
// fp8 / fp6 / int8 code against an independent reference: NVIDIA's host conversions for fp8
// and fp6, the textbook round-half-even for int8; and the scale searches' round_scaled
// against decode(encode) for every finite pattern. Prints each walk's wall time.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include <cmath>

#include "kernels/quant/code_traits.h"
#include "kernels/quant/fp6_e2m3.h"
#include "kernels/quant/fp6_e3m2.h"
#include "kernels/quant/fp8_e4m3.h"
#include "kernels/quant/int8.h"
#include "tests/quant/codec_references.h"

namespace llmrun {
namespace {

using testing::float_of;

// Walks all 2^32 patterns in parallel; returns the mismatch count and reports a few.
template <typename Same>
uint64_t walk_all_patterns(const char* what, Same same) {
  const auto start = std::chrono::steady_clock::now();
  uint64_t mismatches = 0;
  std::atomic<int> reported{0};
  constexpr int64_t kChunks = 1 << 16;  // 65536 patterns each
#pragma omp parallel for schedule(dynamic, 16) reduction(+ : mismatches)
  for (int64_t chunk = 0; chunk < kChunks; ++chunk) {
    const uint32_t base = uint32_t(chunk) << 16;
    uint64_t local = 0;
    for (uint32_t low = 0; low < (1u << 16); ++low) {
      const uint32_t u = base | low;
      if (!same(u)) {
        ++local;
        if (reported.fetch_add(1) < 10) {
#pragma omp critical
          ADD_FAILURE() << what << ": input 0x" << std::hex << u << " (" << float_of(u) << ")";
        }
      }
    }
    mismatches += local;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: all 2^32 fp32 patterns in %.2f s, %llu mismatches\n", what, seconds,
              static_cast<unsigned long long>(mismatches));
  return mismatches;
}

TEST(Fp8E4M3VsNvidia, EncodeAllFp32Patterns) {
  LLMRUN_REQUIRE_NVIDIA();
  EXPECT_EQ(walk_all_patterns("fp8 E4M3 vs __nv_cvt_float_to_fp8(SATFINITE, E4M3)",
                              [](uint32_t u) {
                                return quant::fp8_e4m3_from_f32(float_of(u)) ==
                                       testing::nv_fp8_from_f32(float_of(u));
                              }),
            0u);
}

TEST(Fp6E3M2VsNvidia, EncodeAllFp32Patterns) {
  LLMRUN_REQUIRE_NVIDIA();
  EXPECT_EQ(walk_all_patterns("fp6 E3M2 vs __nv_cvt_float_to_fp6(E3M2, RN)",
                              [](uint32_t u) {
                                return quant::fp6_e3m2_from_f32(float_of(u)) ==
                                       testing::nv_fp6_from_f32(float_of(u));
                              }),
            0u);
}

TEST(Fp6E2M3VsNvidia, EncodeAllFp32Patterns) {
  LLMRUN_REQUIRE_NVIDIA();
  EXPECT_EQ(walk_all_patterns("fp6 E2M3 vs __nv_cvt_float_to_fp6(E2M3, RN)",
                              [](uint32_t u) {
                                return quant::fp6_e2m3_from_f32(float_of(u)) ==
                                       testing::nv_fp6_e2m3_from_f32(float_of(u));
                              }),
            0u);
}

TEST(Fp6E2M3VsNvidia, DecodeAll64Codes) {
  LLMRUN_REQUIRE_NVIDIA();
  for (int c = 0; c < 64; ++c)
    EXPECT_EQ(quant::f32_bits(quant::fp6_e2m3_to_f32(uint8_t(c))),
              quant::f32_bits(testing::nv_fp6_e2m3_to_f32(uint8_t(c))))
        << "code " << c;
}

TEST(Int8VsReference, EncodeAllFp32Patterns) {
  EXPECT_EQ(walk_all_patterns("int8 vs clamp(round-half-even)",
                              [](uint32_t u) {
                                return int(quant::int8_from_scaled(float_of(u))) ==
                                       testing::int8_reference(float_of(u));
                              }),
            0u);
}

// The scale searches' shortcut (code_traits.h): decode(encode(v)) bit for bit, every finite v.
template <typename T>
bool round_scaled_agrees(uint32_t u) {
  const float v = float_of(u);
  if (!std::isfinite(v)) return true;
  return quant::f32_bits(T::round_scaled(v)) == quant::f32_bits(T::decode(T::encode(v)));
}

TEST(RoundScaled, AllFp32Patterns) {
  EXPECT_EQ(walk_all_patterns("int8 round_scaled", round_scaled_agrees<quant::Int8Traits>), 0u);
  EXPECT_EQ(walk_all_patterns("fp8 E4M3 round_scaled", round_scaled_agrees<quant::Fp8E4M3Traits>), 0u);
  EXPECT_EQ(walk_all_patterns("fp6 E3M2 round_scaled", round_scaled_agrees<quant::Fp6E3M2Traits>), 0u);
  EXPECT_EQ(walk_all_patterns("fp6 E2M3 round_scaled", round_scaled_agrees<quant::Fp6E2M3Traits>), 0u);
}

}  // namespace
}  // namespace llmrun
