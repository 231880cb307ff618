// CPU linear kernels: the scalar reference against a double-precision dot, every fast
// kernel family against the reference over a grid of awkward shapes for every format in
// all_codecs(), exact results where exactness is owed, and every code of every format
// through the fast decoders.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/linear.h"
#include "kernels/cpu/simd/linear_simd.h"
#include "kernels/quant/fp6_e2m3.h"
#include "kernels/quant/fp6_e3m2.h"
#include "kernels/quant/fp8_e4m3.h"
#include "kernels/quant/half.h"
#include "kernels/quant/weight_format.h"

namespace llmrun::cpu {
namespace {

constexpr double kU = 1.0 / (1 << 24);  // fp32 unit roundoff, 2^-24

// gamma_n = n u / (1 - n u): the classic bound on accumulated relative rounding error after
// n roundings (Higham, Accuracy and Stability of Numerical Algorithms, 3.1).
double gamma(int64_t n) { return double(n) * kU / (1.0 - double(n) * kU); }

// ---- error bounds, derived here and nowhere else -------------------------------------------
//
// Notation for one output: codes c_i, exact code values d_i = decode(c_i) (exact in fp32 for
// every format: they are fp32, fp16, bf16, int8 or small-float values), row scale s (1 for
// unscaled formats), inputs x_i, bias b, true value T = s * sum_i d_i x_i + b.
//
// The reference path rounds each weight w_i = fl(d_i s) = d_i s (1 + e_i), |e_i| <= u, then
// sums the K products w_i x_i in some order (each product and each addition rounded, any
// order: error <= gamma_K sum |w_i x_i|), then adds b (one rounding). To first order
//   |ref - T| <= gamma_{K+2} (s sum |d_i x_i| + |b|).
// The dot against double precision (ReferenceMatchesDoubleDot) starts from the already
// rounded w_i, so there only   |ref - (sum w_i x_i + b)| <= gamma_{K+1} (sum |w_i x_i| + |b|).
//
// A fast path sums the K products d_i x_i in another order (with FMAs: fewer roundings, never
// more), multiplies by a power of two (exact) and by s (one rounding), then adds b (one
// rounding): |fast - T| <= gamma_{K+2} (s sum |d_i x_i| + |b|) as well. Hence
//   |fast - ref| <= 2 gamma_{K+2} (s sum |d_i x_i| + |b|).
// A wrong decode of a single code, a dropped product or a wrong scale moves the result by
// about |d_i x_i| s, far above K 2^-23 of the sum for these sizes: the test can fail.
double fast_vs_reference_bound(int64_t k, double scaled_abs_dot, double abs_bias) {
  return 2.0 * gamma(k + 2) * (scaled_abs_dot + abs_bias);
}
double reference_vs_double_bound(int64_t k, double abs_dot, double abs_bias) {
  return gamma(k + 1) * (abs_dot + abs_bias);
}
// A single token times group-scaled integer codes (simd::gemv_rounds_x_to_int16) has x
// rounded first: over the row's whole groups, in blocks of kGemvXBlock values, to multiples
// of dx = the smallest power of two with max |x| <= 32767 dx (at least 2^-126), each value
// off by at most dx / 2. The sum moves by at most sum over blocks of dx / 2 * sum |d_i|
// (times the row scale), on top of the fp32 bound above (whose gamma then also covers that
// term: hence the factor). `d` is the row's code values with group scales, `x` the token's.
double x_rounding_bound(const double* d, const float* x, int64_t k, int64_t group) {
  double bound = 0;
  for (int64_t b = 0; b < k / group * group; b += simd::kGemvXBlock) {
    double amax = 0, abs_d = 0;
    for (int64_t i = b; i < b + simd::kGemvXBlock; ++i) {
      amax = std::max(amax, std::fabs(double(x[i])));
      abs_d += std::fabs(d[i]);
    }
    double dx = std::ldexp(1.0, -126);
    while (32767.0 * dx < amax) dx *= 2.0;
    bound += dx / 2.0 * abs_d;
  }
  return bound * (1.0 + 2.0 * gamma(k + 2));
}

// ---- problem construction --------------------------------------------------------------

// Values spread over many binades (so small-float subnormal codes occur), with a Gaussian
// body and a few outliers; finite and inside fp16's range.
std::vector<float> random_values(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> log2mag(-12.0f, 4.0f);
  std::uniform_int_distribution<int> kind(0, 9);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& f : v) {
    const int k = kind(rng);
    if (k < 6) f = normal(rng);
    else if (k < 9) f = std::copysign(std::exp2(log2mag(rng)), normal(rng));
    else f = 40.0f * normal(rng);
  }
  return v;
}

HostWeight host_weight(const CodecRecord& c, int64_t rows, int64_t cols, const std::vector<float>& values,
                       const std::string& name = "test.weight") {
  HostWeight h;
  h.name = name;
  h.format = c.format;
  h.rows = rows;
  h.cols = cols;
  h.packed.resize(size_t(rows * c.row_bytes(cols)));
  h.scales.resize(size_t(rows));
  for (int64_t r = 0; r < rows; ++r)
    c.encode_row(values.data() + r * cols, cols, h.packed.data() + r * c.row_bytes(cols), &h.scales[size_t(r)]);
  return h;
}

std::unique_ptr<CpuWeight> bias_weight(const std::vector<float>& b) {
  HostWeight h = host_weight(codec(WeightFormat::f32), 1, int64_t(b.size()), b, "test.bias");
  return std::make_unique<CpuWeight>(h);
}

std::unique_ptr<CpuTensor> tensor(int64_t rows, int64_t cols, const std::vector<float>& values) {
  auto t = std::make_unique<CpuTensor>(rows, cols);
  std::copy(values.begin(), values.end(), t->data.begin());
  return t;
}

// Row r of W decoded without its row scale (group scales applied: CpuWeight keeps a
// group-scaled format's codes and scales apart).
void unscaled_row(const CpuWeight& w, int64_t r, float* out) {
  w.codes_codec->decode_row(w.row(r), 1.0f, w.cols(), out);
  const int64_t g = codec(w.format()).group_size;
  for (int64_t i = 0; g > 0 && i < w.cols(); ++i)
    out[i] *= quant::f16_to_f32(w.group_scales[size_t(r * w.groups_per_row + i / g)]);
}

// Code values (row scale not applied) of W as doubles: [rows, cols].
std::vector<double> code_values(const CpuWeight& w) {
  std::vector<float> row(size_t(w.cols()));
  std::vector<double> d(size_t(w.rows() * w.cols()));
  for (int64_t r = 0; r < w.rows(); ++r) {
    unscaled_row(w, r, row.data());
    for (int64_t i = 0; i < w.cols(); ++i) d[size_t(r * w.cols() + i)] = row[size_t(i)];
  }
  return d;
}

std::vector<float> run(const CpuTensor& x, const CpuWeight& w, const CpuWeight* bias, int threads,
                       KernelIsa isa, MinifloatDecode decode = MinifloatDecode::bits) {
  CpuTensor out(x.rows(), w.rows());
  std::fill(out.data.begin(), out.data.end(), std::nanf(""));  // every output must be written
  linear(x, w, bias, out, threads, isa, decode);
  return std::vector<float>(out.data.begin(), out.data.end());
}

struct FastPath {
  KernelIsa isa;
  MinifloatDecode decode;
  const char* name;
};

// Every fast family this CPU can run (the reference is compared against each).
std::vector<FastPath> fast_paths() {
  std::vector<FastPath> paths;
  if (kernel_isa_supported(KernelIsa::avx2)) {
    paths.push_back({KernelIsa::avx2, MinifloatDecode::bits, "avx2/bits"});
    paths.push_back({KernelIsa::avx2, MinifloatDecode::lut, "avx2/lut"});
  }
  if (kernel_isa_supported(KernelIsa::avx512)) {
    paths.push_back({KernelIsa::avx512, MinifloatDecode::bits, "avx512/bits"});
    paths.push_back({KernelIsa::avx512, MinifloatDecode::lut, "avx512/lut"});
  }
  return paths;
}

// The fast families and the scalar reference.
std::vector<FastPath> every_path() {
  std::vector<FastPath> paths = fast_paths();
  paths.push_back({KernelIsa::scalar, MinifloatDecode::bits, "scalar"});
  return paths;
}

#define SKIP_WITHOUT_FAST_PATHS()                                                       \
  if (fast_paths().empty()) GTEST_SKIP() << "this CPU runs only the scalar kernels (no AVX2/FMA/F16C)"

// Names every family the CPU lacks, so a run on an older machine says what it skipped.
void report_skipped_families() {
  for (KernelIsa isa : {KernelIsa::avx2, KernelIsa::avx512})
    if (!kernel_isa_supported(isa))
      std::printf("note: this CPU cannot run the %s kernels; they are not tested here\n", kernel_isa_name(isa));
}

const int64_t kCols[] = {1, 7, 8, 9, 64, 769, 5125};
const int64_t kRows[] = {1, 3, 17, 64};
// 1..3 tokens take the decode kernels, more the prefill kernels: both sides of the switch,
// and both prefill micro-kernels (dot products below kGemmBroadcastMinTokens tokens,
// broadcasts from there: 24 is whole groups of 12 and 6 tokens, 33 ends in a partial one).
constexpr int64_t kTokens[] = {1, 2, 3, 4, 5, 8, 9, 24, 33};
constexpr bool tokens_reach_every_kernel() {
  bool gemv = false, dot = false, broadcast_partial = false;
  for (int64_t n : kTokens) {
    gemv |= n <= simd::kGemvMaxTokens;
    dot |= n > simd::kGemvMaxTokens && n < simd::kGemmBroadcastMinTokens;
    broadcast_partial |= n >= simd::kGemmBroadcastMinTokens && n % simd::kGemmMaxTokens != 0;
  }
  return gemv && dot && broadcast_partial;
}
static_assert(tokens_reach_every_kernel(), "kTokens must reach the GEMV, dot and broadcast kernels");

// ---- tests ---------------------------------------------------------------------------------

// CpuWeight keeps group-scaled blocks split into codes and scales; its decode_row (the
// embedding gather, the reference linear) must still be the codec's, bit for bit.
TEST(Linear, CpuWeightDecodeRowIsTheCodecs) {
  std::mt19937 rng(4);
  for (const CodecRecord* c : all_codecs())
    for (int64_t k : kCols) {
      const int64_t m = 5;
      const HostWeight h = host_weight(*c, m, k, random_values(m * k, rng));
      const CpuWeight w(h);
      std::vector<float> got(static_cast<size_t>(k)), want(static_cast<size_t>(k));
      for (int64_t r = 0; r < m; ++r) {
        w.decode_row(r, got.data());
        c->decode_row(h.packed.data() + r * c->row_bytes(k), h.scales[size_t(r)], k, want.data());
        for (int64_t i = 0; i < k; ++i)
          ASSERT_EQ(quant::f32_bits(got[size_t(i)]), quant::f32_bits(want[size_t(i)]))
              << c->name << " k=" << k << " row " << r << " col " << i;
      }
    }
}

TEST(Linear, ReferenceMatchesDoubleDot) {
  std::mt19937 rng(1);
  for (const CodecRecord* c : all_codecs()) {
    for (int64_t k : kCols) {
      const int64_t m = 17;
      const HostWeight h = host_weight(*c, m, k, random_values(m * k, rng));
      auto w = std::make_unique<CpuWeight>(h);
      const std::vector<double> d = code_values(*w);
      for (int64_t n : {int64_t(1), int64_t(9)}) {
        auto x = tensor(n, k, random_values(n * k, rng));
        auto bias = bias_weight(random_values(m, rng));
        const std::vector<float> got = run(*x, *w, bias.get(), 1, KernelIsa::scalar);
        std::vector<float> wr(static_cast<size_t>(k));
        for (int64_t r = 0; r < m; ++r) {
          // The reference's own weights: the codec's decode_row of the file's row.
          c->decode_row(h.packed.data() + r * c->row_bytes(k), h.scales[size_t(r)], k, wr.data());
          for (int64_t t = 0; t < n; ++t) {
            double dot = 0, abs_dot = 0;
            for (int64_t i = 0; i < k; ++i) {
              dot += double(wr[size_t(i)]) * x->data[size_t(t * k + i)];
              abs_dot += std::fabs(double(wr[size_t(i)]) * x->data[size_t(t * k + i)]);
            }
            const double b = bias->as_f32[size_t(r)];
            ASSERT_LE(std::fabs(got[size_t(t * m + r)] - (dot + b)), reference_vs_double_bound(k, abs_dot, std::fabs(b)))
                << c->name << " k=" << k << " n=" << n << " row " << r << " token " << t;
          }
        }
      }
    }
  }
}

TEST(Linear, FastMatchesReferenceOverGrid) {
  SKIP_WITHOUT_FAST_PATHS();
  std::mt19937 rng(2);
  int64_t checked = 0;
  for (const CodecRecord* c : all_codecs()) {
    for (int64_t k : kCols) {
      for (int64_t m : kRows) {
        auto w = std::make_unique<CpuWeight>(host_weight(*c, m, k, random_values(m * k, rng)));
        const std::vector<double> d = code_values(*w);
        auto bias = bias_weight(random_values(m, rng));
        for (int64_t n : kTokens) {
          auto x = tensor(n, k, random_values(n * k, rng));
          for (bool with_bias : {false, true}) {
            const CpuWeight* b = with_bias ? bias.get() : nullptr;
            const std::vector<float> ref = run(*x, *w, b, 1, KernelIsa::scalar);
            for (const FastPath& path : fast_paths()) {
              const std::vector<float> got = run(*x, *w, b, 1, path.isa, path.decode);
              for (int64_t t = 0; t < n; ++t)
                for (int64_t r = 0; r < m; ++r) {
                  double abs_dot = 0;
                  for (int64_t i = 0; i < k; ++i)
                    abs_dot += std::fabs(d[size_t(r * k + i)] * x->data[size_t(t * k + i)]);
                  const double abs_b = with_bias ? std::fabs(bias->as_f32[size_t(r)]) : 0.0;
                  double bound = fast_vs_reference_bound(k, w->scales[size_t(r)] * abs_dot, abs_b);
                  if (simd::gemv_rounds_x_to_int16(*c, n, path.isa == KernelIsa::avx512))
                    bound += w->scales[size_t(r)] * x_rounding_bound(&d[size_t(r * k)], &x->data[size_t(t * k)], k, c->group_size);
                  const float f = got[size_t(t * m + r)], e = ref[size_t(t * m + r)];
                  ASSERT_TRUE(std::fabs(double(f) - e) <= bound)
                      << c->name << " " << path.name << " k=" << k << " rows=" << m << " n=" << n
                      << " bias=" << with_bias << " row " << r << " token " << t << ": fast " << f
                      << " reference " << e << " bound " << bound;
                  ++checked;
                }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 0);
}

// Small integers everywhere (weights in [-8, 8], or up to the largest integer the format
// holds, plus one element at the format's largest code value so the row scale is exactly 1 —
// 7.5 for E2M3 —, inputs in [-4, 4], integer bias): every partial sum of every summation
// order is a multiple of 1/2 below 2^22, so every path must be exact.
TEST(Linear, ExactOnSmallIntegers) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> xv(-4, 4), bv(-100, 100);
  std::vector<std::pair<KernelIsa, MinifloatDecode>> paths = {{KernelIsa::scalar, MinifloatDecode::bits}};
  for (const FastPath& p : fast_paths()) paths.push_back({p.isa, p.decode});
  for (const CodecRecord* c : all_codecs()) {
    const float top = c->scaled || c->group_size ? c->max_code_value : 448.0f;
    const int w_max = std::min(8, int(top));
    std::uniform_int_distribution<int> wv(-w_max, w_max);
    for (int64_t k : {int64_t(1), int64_t(7), int64_t(9), int64_t(64), int64_t(769), int64_t(5125)}) {
      const int64_t m = 17;
      std::vector<float> wf(size_t(m * k));
      for (float& f : wf) f = float(wv(rng));
      // One top value per row, and per group for a grouped format (scale 1 in every group).
      const int64_t span = c->group_size ? c->group_size : k;
      for (int64_t r = 0; r < m; ++r)
        for (int64_t g = 0; g < k; g += span)
          wf[size_t(r * k + g + (r * 13) % std::min(span, k - g))] = (r % 2 ? -top : top);
      auto w = std::make_unique<CpuWeight>(host_weight(*c, m, k, wf));
      for (int64_t r = 0; r < m; ++r) ASSERT_EQ(w->scales[size_t(r)], 1.0f) << c->name;
      std::vector<float> bf(static_cast<size_t>(m));
      for (float& f : bf) f = float(bv(rng));
      auto bias = bias_weight(bf);
      for (int64_t n : {int64_t(1), int64_t(3), int64_t(5), int64_t(8), int64_t(9), int64_t(33)}) {
        std::vector<float> xf(size_t(n * k));
        for (float& f : xf) f = float(xv(rng));
        auto x = tensor(n, k, xf);
        for (const auto& [isa, decode] : paths) {
          const std::vector<float> got = run(*x, *w, bias.get(), 1, isa, decode);
          for (int64_t t = 0; t < n; ++t)
            for (int64_t r = 0; r < m; ++r) {
              double exact = bf[size_t(r)];
              for (int64_t i = 0; i < k; ++i)
                exact += double(wf[size_t(r * k + i)]) * double(xf[size_t(t * k + i)]);
              ASSERT_EQ(got[size_t(t * m + r)], float(exact))
                  << c->name << " " << kernel_isa_name(isa) << " k=" << k << " n=" << n << " row " << r;
            }
        }
      }
    }
  }
}

// Every finite code value of each format (a sample for fp32), 64 to a row. One-hot
// inputs pick single weights out, so each fast decoder must reproduce every value exactly
// (decode (n = 3) and prefill (n = 64) paths both). A format missing here fails.
std::vector<float> every_code_value(WeightFormat f) {
  std::vector<float> v;
  switch (f) {
    case WeightFormat::f32: {
      std::mt19937 rng(4);
      for (int i = 0; i < 4096; ++i) {
        uint32_t bits = uint32_t(rng());
        if ((bits & 0x7f800000u) != 0x7f800000u) v.push_back(quant::f32_from_bits(bits));
      }
      break;
    }
    case WeightFormat::f16:
      for (uint32_t h = 0; h < 0x10000u; ++h)
        if ((h & 0x7c00u) != 0x7c00u) v.push_back(quant::f16_to_f32(uint16_t(h)));
      break;
    case WeightFormat::bf16:
      for (uint32_t h = 0; h < 0x10000u; ++h)
        if ((h & 0x7f80u) != 0x7f80u) v.push_back(quant::bf16_to_f32(uint16_t(h)));
      break;
    case WeightFormat::int8:
    case WeightFormat::int8_g32:
    case WeightFormat::int8_g64:
      for (int q = -127; q <= 127; ++q) v.push_back(float(q));
      break;
    case WeightFormat::fp8_e4m3:
    case WeightFormat::fp8_g32:
    case WeightFormat::fp8_g64:
      for (int c = 0; c < 256; ++c)
        if ((c & 0x7f) != 0x7f) v.push_back(quant::fp8_e4m3_to_f32(uint8_t(c)));
      break;
    case WeightFormat::fp6_e3m2:
      for (int c = 0; c < 64; ++c) v.push_back(quant::fp6_e3m2_to_f32(uint8_t(c)));
      break;
    case WeightFormat::fp6_e2m3:
    case WeightFormat::fp6_e2m3_g32:
    case WeightFormat::fp6_e2m3_g64:
      for (int c = 0; c < 64; ++c) v.push_back(quant::fp6_e2m3_to_f32(uint8_t(c)));
      break;
  }
  return v;
}

TEST(Linear, FastDecodersReproduceEveryCode) {
  SKIP_WITHOUT_FAST_PATHS();
  constexpr int64_t k = 64;
  for (const CodecRecord* c : all_codecs()) {
    const std::vector<float> codes = every_code_value(c->format);
    ASSERT_FALSE(codes.empty()) << c->name << ": list its code values in every_code_value()";
    // Rows of k values; a scaled format's rows (a grouped format's groups) start with its
    // largest code value, so that amax / max_code_value = 1 exactly and the codes are the
    // values themselves.
    const int64_t lead = c->scaled ? k : c->group_size;
    const int64_t per_row = lead ? k - k / lead : k;
    const int64_t m = (int64_t(codes.size()) + per_row - 1) / per_row;
    std::vector<float> values;
    for (size_t next = 0; values.size() < size_t(m * k);) {
      const bool leader = lead && values.size() % size_t(lead) == 0;
      values.push_back(leader ? c->max_code_value : next < codes.size() ? codes[next++] : 0.0f);
    }
    HostWeight h = host_weight(*c, m, k, values);
    for (int64_t r = 0; r < m; ++r) ASSERT_EQ(h.scales[size_t(r)], 1.0f) << c->name;
    CpuWeight w(h);
    std::vector<float> decoded(static_cast<size_t>(k));
    for (int64_t r = 0; r < m; ++r) {
      unscaled_row(w, r, decoded.data());
      for (int64_t i = 0; i < k; ++i)
        ASSERT_EQ(decoded[size_t(i)], values[size_t(r * k + i)]) << c->name << ": value does not round-trip";
    }
    for (const FastPath& path : fast_paths()) {
      for (int64_t n : {int64_t(3), k}) {  // decode kernel, prefill kernel
        for (int64_t first = 0; first < k; first += n) {
          std::vector<float> xf(size_t(n * k), 0.0f);
          for (int64_t t = 0; t < n && first + t < k; ++t) xf[size_t(t * k + first + t)] = 1.0f;
          auto x = tensor(n, k, xf);
          const std::vector<float> got = run(*x, w, nullptr, 1, path.isa, path.decode);
          for (int64_t t = 0; t < n && first + t < k; ++t)
            for (int64_t r = 0; r < m; ++r)
              ASSERT_EQ(got[size_t(t * m + r)], values[size_t(r * k + first + t)])
                  << c->name << " " << path.name << " n=" << n << " row " << r << " col " << first + t;
        }
      }
    }
  }
}

// An Inf or NaN input reaches every output of its token, on every path (the single-token
// int8 path rounds x to integers first, where a NaN would otherwise become a number).
TEST(Linear, NonFiniteInputReachesEveryOutput) {
  std::mt19937 rng(8);
  const std::vector<FastPath> paths = every_path();
  for (const CodecRecord* c : all_codecs()) {
    const int64_t m = 9, k = 200;
    auto w = std::make_unique<CpuWeight>(host_weight(*c, m, k, random_values(m * k, rng)));
    for (float bad : {std::nanf(""), INFINITY, -INFINITY})
      for (int64_t n : {int64_t(1), int64_t(2), int64_t(5), int64_t(30)})
        for (int64_t at : {int64_t(0), int64_t(37), k - 1}) {  // a full group and the partial one
          std::vector<float> xf = random_values(n * k, rng);
          for (int64_t t = 0; t < n; ++t) xf[size_t(t * k + at)] = bad;
          auto x = tensor(n, k, xf);
          for (const FastPath& path : paths) {
            const std::vector<float> got = run(*x, *w, nullptr, 1, path.isa, path.decode);
            for (size_t i = 0; i < got.size(); ++i)
              ASSERT_FALSE(std::isfinite(got[i])) << c->name << " " << path.name << " n=" << n << " input " << bad
                                                  << " at " << at << ": output " << i << " = " << got[i];
          }
        }
  }
}

// Rows are split between threads, never the sum inside a row: results are identical for
// any thread count. Shapes are big enough to take the threaded path.
TEST(Linear, ThreadCountDoesNotChangeResults) {
  std::mt19937 rng(5);
  const std::vector<FastPath> paths = every_path();
  for (const CodecRecord* c : all_codecs()) {
    const int64_t m = 203, k = 1031;
    auto w = std::make_unique<CpuWeight>(host_weight(*c, m, k, random_values(m * k, rng)));
    auto bias = bias_weight(random_values(m, rng));
    // decode, dot-product prefill, broadcast prefill (x packed by both threads)
    for (int64_t n : {int64_t(2), int64_t(21), int64_t(40)}) {
      auto x = tensor(n, k, random_values(n * k, rng));
      for (const FastPath& path : paths) {
        const std::vector<float> one = run(*x, *w, bias.get(), 1, path.isa, path.decode);
        const std::vector<float> two = run(*x, *w, bias.get(), 2, path.isa, path.decode);
        ASSERT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * sizeof(float)))
            << c->name << " " << path.name << " n=" << n;
      }
    }
  }
}

TEST(Linear, BackendEntryUsesTheBestKernels) {
  report_skipped_families();
  const KernelIsa best = kernel_isa_supported(KernelIsa::avx512) ? KernelIsa::avx512
                         : kernel_isa_supported(KernelIsa::avx2) ? KernelIsa::avx2
                                                                 : KernelIsa::scalar;
  EXPECT_EQ(best_kernel_isa(), best);
  std::mt19937 rng(6);
  for (const CodecRecord* c : all_codecs()) {
    auto w = std::make_unique<CpuWeight>(host_weight(*c, 40, 300, random_values(40 * 300, rng)));
    for (int64_t n : {int64_t(1), int64_t(12)}) {
      auto x = tensor(n, 300, random_values(n * 300, rng));
      CpuTensor out(n, 40);
      linear(*x, *w, nullptr, out, 1);
      const std::vector<float> want = run(*x, *w, nullptr, 1, best_kernel_isa());
      ASSERT_EQ(0, std::memcmp(out.data.data(), want.data(), want.size() * sizeof(float))) << c->name;
    }
  }
}

TEST(Linear, ShapeMismatchIsAnError) {
  std::mt19937 rng(7);
  auto w = std::make_unique<CpuWeight>(host_weight(codec(WeightFormat::f16), 4, 8, random_values(32, rng), "blk.0.w"));
  CpuTensor x(2, 9), out(2, 4);
  try {
    linear(x, *w, nullptr, out, 1, KernelIsa::scalar);
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("blk.0.w"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace llmrun::cpu
