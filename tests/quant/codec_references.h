#pragma once
// Independent references for the codec tests: NVIDIA's host conversions from the CUDA
// toolkit headers (when CMake found them), the ml_dtypes/numpy goldens written by
// scripts/make_codec_goldens.py, and a textbook round-half-even for int8. Nothing here calls
// kernels/quant.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#if LLMRUN_HAVE_NV_FP_HEADERS
#include <cuda_fp16.h>
#include <cuda_fp6.h>
#include <cuda_fp8.h>
#endif

namespace llmrun::testing {

inline uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Same value, or both NaN. Distinguishes -0 from +0.
inline bool same_float(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || bits_of(a) == bits_of(b);
}

// ---- NVIDIA host conversions -------------------------------------------------------------

constexpr bool kHaveNvidia = LLMRUN_HAVE_NV_FP_HEADERS != 0;
constexpr const char* kNoNvidiaReason =
    "CUDA toolkit headers cuda_fp8.h / cuda_fp6.h were not found when configuring; NVIDIA "
    "reference conversions unavailable";

#if LLMRUN_HAVE_NV_FP_HEADERS
inline uint8_t nv_fp8_from_f32(float x) {
  return uint8_t(__nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3));
}
inline uint8_t nv_fp6_from_f32(float x) {
  return uint8_t(__nv_cvt_float_to_fp6(x, __NV_E3M2, cudaRoundNearest));
}
inline float nv_fp8_to_f32(uint8_t code) {
  return __half2float(__half(__nv_cvt_fp8_to_halfraw(code, __NV_E4M3)));
}
inline float nv_fp6_to_f32(uint8_t code) {
  return __half2float(__half(__nv_cvt_fp6_to_halfraw(code, __NV_E3M2)));
}
inline uint8_t nv_fp6_e2m3_from_f32(float x) {
  return uint8_t(__nv_cvt_float_to_fp6(x, __NV_E2M3, cudaRoundNearest));
}
inline float nv_fp6_e2m3_to_f32(uint8_t code) {
  return __half2float(__half(__nv_cvt_fp6_to_halfraw(code, __NV_E2M3)));
}
#else
// Never called: every caller skips first when kHaveNvidia is false.
inline uint8_t nv_fp8_from_f32(float) { return 0; }
inline uint8_t nv_fp6_from_f32(float) { return 0; }
inline float nv_fp8_to_f32(uint8_t) { return 0.0f; }
inline float nv_fp6_to_f32(uint8_t) { return 0.0f; }
inline uint8_t nv_fp6_e2m3_from_f32(float) { return 0; }
inline float nv_fp6_e2m3_to_f32(uint8_t) { return 0.0f; }
#endif

#define LLMRUN_REQUIRE_NVIDIA() \
  do {                          \
    if (!::llmrun::testing::kHaveNvidia) GTEST_SKIP() << ::llmrun::testing::kNoNvidiaReason; \
  } while (0)

// ---- int8 --------------------------------------------------------------------------------

// clamp(round-half-even(v), -127, 127) spelled out in double (exact for |v| <= 127).
inline int int8_reference(float v) {
  if (std::isnan(v)) return 0;
  double d = std::fmin(std::fmax(double(v), -127.0), 127.0);
  double lo = std::floor(d);
  double frac = d - lo;
  if (frac > 0.5) return int(lo) + 1;
  if (frac < 0.5) return int(lo);
  return std::fmod(lo, 2.0) == 0.0 ? int(lo) : int(lo) + 1;
}

// ---- ml_dtypes / numpy goldens (tests/quant/data) -----------------------------------------

inline std::string golden_path(const std::string& name) {
  return std::string(LLMRUN_QUANT_GOLDENS_DIR) + "/" + name;
}

// Lines of a golden file without the '#' comments; fails the test when it is missing.
inline std::vector<std::string> golden_lines(const std::string& name) {
  std::ifstream in(golden_path(name));
  EXPECT_TRUE(in.good()) << "missing golden " << golden_path(name)
                         << " (regenerate with scripts/make_codec_goldens.py)";
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  return lines;
}

struct CodePair {
  uint32_t a;  // decode table: the code; encode table: the fp32 input bits
  uint32_t b;  // decode table: the fp32 value bits; encode table: the code
};

// "<hex> <hex>" per line.
inline std::vector<CodePair> golden_pairs(const std::string& name) {
  std::vector<CodePair> pairs;
  for (const std::string& line : golden_lines(name)) {
    std::istringstream s(line);
    CodePair p{};
    s >> std::hex >> p.a >> p.b;
    EXPECT_FALSE(s.fail()) << name << ": bad line '" << line << "'";
    pairs.push_back(p);
  }
  return pairs;
}

struct GoldenRow {
  std::string format;           // a codec name: "int8-row", "fp6-e2m3", "int8-g32", ...
  uint32_t scale_bits = 0;      // fp32 scale
  std::vector<float> w;         // [n] input row
  std::vector<uint8_t> packed;  // [row_bytes(n)] expected encode_row output
};

// rows.txt: "row FORMAT N SCALE_BITS", "w BITS...", "q BYTES..." per row.
inline std::vector<GoldenRow> golden_rows() {
  std::vector<std::string> lines = golden_lines("rows.txt");
  std::vector<GoldenRow> rows;
  for (size_t i = 0; i + 3 <= lines.size(); i += 3) {
    GoldenRow r;
    std::istringstream head(lines[i]), w(lines[i + 1]), q(lines[i + 2]);
    std::string tag;
    size_t n = 0;
    head >> tag >> r.format >> n >> std::hex >> r.scale_bits;
    EXPECT_EQ(tag, "row") << lines[i];
    w >> tag;
    EXPECT_EQ(tag, "w") << lines[i + 1];
    for (uint32_t b; w >> std::hex >> b;) r.w.push_back(float_of(b));
    q >> tag;
    EXPECT_EQ(tag, "q") << lines[i + 2];
    for (uint32_t b; q >> std::hex >> b;) r.packed.push_back(uint8_t(b));
    EXPECT_EQ(r.w.size(), n) << lines[i];
    rows.push_back(r);
  }
  EXPECT_EQ(lines.size() % 3, 0u) << "rows.txt: truncated record";
  return rows;
}

}  // namespace llmrun::testing
