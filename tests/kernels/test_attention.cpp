// CPU attention: the scalar reference and every SIMD kernel against attention computed
// in double precision, over GQA shapes, cached prefixes and chunk remainders; causality
// (a row never reads a later position); the kernels' vector e^x against std::exp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/attention.h"
#if LLMRUN_HAVE_SIMD_KERNELS
#include "kernels/cpu/simd/attention_simd.h"
#endif

namespace llmrun::cpu {
namespace {

struct Case {
  int64_t heads, kv_heads, d, start_pos, n;
};

std::vector<KernelIsa> isas_here() {
  std::vector<KernelIsa> out = {KernelIsa::scalar};
  for (KernelIsa isa : {KernelIsa::avx2, KernelIsa::avx512})
    if (kernel_isa_supported(isa)) out.push_back(isa);
  return out;
}

void fill(CpuTensor& t, std::mt19937& rng, float sigma) {
  std::normal_distribution<float> dist(0.0f, sigma);
  for (int64_t r = 0; r < t.rows(); ++r)
    for (int64_t c = 0; c < t.cols(); ++c) t.row(r)[c] = dist(rng);
}

// Fills the cache prefix and the new rows, runs `isa`, and checks every output against
// double-precision attention over the same values.
void check_case(const Case& c, KernelIsa isa, int threads, float q_sigma) {
  SCOPED_TRACE(testing::Message() << kernel_isa_name(isa) << " heads " << c.heads << "/" << c.kv_heads << " d "
                                  << c.d << " start " << c.start_pos << " n " << c.n << " threads " << threads
                                  << " q sigma " << q_sigma);
  std::mt19937 rng(unsigned(c.heads * 131 + c.d * 7 + c.start_pos * 3 + c.n));
  const int64_t total = c.start_pos + c.n, layers = 2, layer = 1;
  CpuKvStorage cache(layers, c.kv_heads, c.d, total + 3);
  CpuTensor prefix_k(c.start_pos, c.kv_heads * c.d), prefix_v(c.start_pos, c.kv_heads * c.d);
  fill(prefix_k, rng, 1.0f);
  fill(prefix_v, rng, 1.0f);
  for (int64_t p = 0; p < c.start_pos; ++p)
    for (int64_t h = 0; h < c.kv_heads; ++h) {
      std::memcpy(cache.k(layer, h, p), prefix_k.row(p) + h * c.d, size_t(c.d) * sizeof(float));
      std::memcpy(cache.v(layer, h, p), prefix_v.row(p) + h * c.d, size_t(c.d) * sizeof(float));
    }
  CpuTensor q(c.n, c.heads * c.d), k(c.n, c.kv_heads * c.d), v(c.n, c.kv_heads * c.d), out(c.n, c.heads * c.d);
  fill(q, rng, q_sigma);
  fill(k, rng, 1.0f);
  fill(v, rng, 1.0f);
  attention(q, k, v, cache, layer, c.start_pos, {c.heads, c.kv_heads, c.d}, out, threads, isa);

  auto key = [&](int64_t h, int64_t p) { return p < c.start_pos ? prefix_k.row(p) + h * c.d : k.row(p - c.start_pos) + h * c.d; };
  auto value = [&](int64_t h, int64_t p) { return p < c.start_pos ? prefix_v.row(p) + h * c.d : v.row(p - c.start_pos) + h * c.d; };
  const int64_t group = c.heads / c.kv_heads;
  double worst = 0;
  for (int64_t i = 0; i < c.n; ++i)
    for (int64_t h = 0; h < c.heads; ++h) {
      const int64_t kvh = h / group, visible = c.start_pos + i + 1;
      std::vector<double> s(size_t(visible), 0.0);
      double mx = -INFINITY, sum = 0;
      for (int64_t p = 0; p < visible; ++p) {
        for (int64_t e = 0; e < c.d; ++e) s[size_t(p)] += double(q.row(i)[h * c.d + e]) * key(kvh, p)[e];
        s[size_t(p)] /= std::sqrt(double(c.d));
        mx = std::max(mx, s[size_t(p)]);
      }
      for (double& x : s) sum += (x = std::exp(x - mx));
      for (int64_t e = 0; e < c.d; ++e) {
        double want = 0, scale = 0;
        for (int64_t p = 0; p < visible; ++p) {
          want += s[size_t(p)] / sum * value(kvh, p)[e];
          scale += s[size_t(p)] / sum * std::abs(value(kvh, p)[e]);
        }
        const float got = out.row(i)[h * c.d + e];
        // fp32 scores carry ~d u |q||k| of error, which e^x turns into relative error of the
        // weights; 2e-5 of the weighted |v| is ~100x that here, and a misplaced head,
        // position or mask moves an output by ~0.1.
        const double err = std::abs(double(got) - want);
        ASSERT_TRUE(std::isfinite(got)) << "row " << i << " head " << h << " elem " << e;
        ASSERT_LE(err, 2e-5 * scale + 1e-7) << "row " << i << " head " << h << " elem " << e;
        worst = std::max(worst, err);
      }
    }
}

TEST(CpuAttention, EveryKernelMatchesDoublePrecision) {
  const std::vector<Case> cases = {
      {8, 8, 8, 0, 1},    {8, 8, 8, 0, 37},   {9, 3, 64, 0, 1},   {9, 3, 64, 0, 29},  {9, 3, 64, 17, 1},
      {9, 3, 64, 17, 6},  {16, 8, 128, 0, 9}, {16, 8, 128, 40, 3}, {4, 1, 32, 5, 7},  {2, 2, 48, 0, 11},
      {3, 1, 24, 2, 5},   {6, 2, 80, 33, 2},
      // From 16 new rows the keys are transposed first (kAttentionTransposeMinRows): with a
      // cached prefix, positions no multiple of 8, and exactly at the threshold.
      {9, 3, 64, 17, 20}, {4, 2, 16, 0, 16},  {16, 8, 128, 3, 18},
      // One token over more than kAttentionSegment positions: segments merged at the end
      // (the last one partial, of one position, or the only one at exactly 256; 7 heads per
      // KV head: two chunks).
      {9, 3, 64, 600, 1}, {16, 8, 128, 512, 1}, {4, 1, 32, 255, 1}, {14, 2, 64, 300, 1}, {4, 2, 16, 1100, 1},
  };
  for (KernelIsa isa : isas_here())
    for (const Case& c : cases) {
      if (c.d % kernel_isa_lanes(isa) != 0) continue;
      for (int threads : {1, 2}) check_case(c, isa, threads, 1.0f);
    }
}

TEST(CpuAttention, PeakedScoresUnderflowToZeroWeights) {
  // q ~ N(0, 40): scores spread over hundreds, most weights e^-100 or less (0 in fp32).
  for (KernelIsa isa : isas_here()) {
    if (64 % kernel_isa_lanes(isa) != 0) continue;
    check_case({4, 2, 64, 50, 7}, isa, 1, 40.0f);
  }
}

// q, k, v of n tokens with N(0, 1) values: the inputs of the two tests below, which run
// attention twice and compare the rows bit for bit.
struct RandomTokens {
  RandomTokens(int64_t n, int64_t heads, int64_t kv, int64_t d, unsigned seed)
      : q(n, heads * d), k(n, kv * d), v(n, kv * d) {
    std::mt19937 rng(seed);
    fill(q, rng, 1.0f);
    fill(k, rng, 1.0f);
    fill(v, rng, 1.0f);
  }
  CpuTensor q, k, v;
};

// The first of rows [0, n) where a and b differ in any bit; -1 when none does.
int64_t first_different_row(const CpuTensor& a, const CpuTensor& b, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (std::memcmp(a.row(i), b.row(i), size_t(a.cols()) * sizeof(float)) != 0) return i;
  return -1;
}

TEST(CpuAttention, LargeProblemsSplitAcrossThreadsGiveTheSameResult) {
  // Past the threading threshold: one thread and two must agree bit for bit (each row's
  // arithmetic does not depend on which thread runs it).
  for (KernelIsa isa : isas_here()) {
    SCOPED_TRACE(kernel_isa_name(isa));
    const int64_t heads = 8, kv = 4, d = 64, n = 70;
    RandomTokens t(n, heads, kv, d, 7);
    CpuTensor one(n, heads * d), two(n, heads * d);
    CpuKvStorage c1(1, kv, d, n), c2(1, kv, d, n);
    attention(t.q, t.k, t.v, c1, 0, 0, {heads, kv, d}, one, 1, isa);
    attention(t.q, t.k, t.v, c2, 0, 0, {heads, kv, d}, two, 2, isa);
    EXPECT_EQ(first_different_row(one, two, n), -1);
  }
}

TEST(CpuAttention, SegmentedDecodeGivesTheSameBitsOnAnyThreadCount) {
  // One token after 700 cached positions: three segments of positions, whose split does
  // not depend on the thread count.
  for (KernelIsa isa : isas_here()) {
    SCOPED_TRACE(kernel_isa_name(isa));
    const int64_t heads = 9, kv = 3, d = 64, prefix = 700;
    RandomTokens before(prefix, heads, kv, d, 5), now(1, heads, kv, d, 6);
    CpuTensor scratch(prefix, heads * d), one(1, heads * d), two(1, heads * d);
    CpuKvStorage c1(1, kv, d, prefix + 1), c2(1, kv, d, prefix + 1);
    attention(before.q, before.k, before.v, c1, 0, 0, {heads, kv, d}, scratch, 1, isa);
    attention(before.q, before.k, before.v, c2, 0, 0, {heads, kv, d}, scratch, 1, isa);
    attention(now.q, now.k, now.v, c1, 0, prefix, {heads, kv, d}, one, 1, isa);
    attention(now.q, now.k, now.v, c2, 0, prefix, {heads, kv, d}, two, 2, isa);
    EXPECT_EQ(first_different_row(one, two, 1), -1);
  }
}

TEST(CpuAttention, NoRowReadsALaterPosition) {
  // A NaN key and value at the last position may reach only the last row. n = 8 puts the
  // last token in a chunk with earlier ones (4 tokens of a head, or 2 tokens x 2 heads);
  // n = 21 takes the transposed keys.
  for (KernelIsa isa : isas_here())
    for (int64_t kv : {4, 2})
      for (int64_t n : {8, 21}) {
        SCOPED_TRACE(testing::Message() << kernel_isa_name(isa) << " kv heads " << kv << " n " << n);
        const int64_t heads = 4, d = 16;
        RandomTokens t(n, heads, kv, d, 3);
        CpuTensor clean(n, heads * d), poisoned(n, heads * d);
        CpuKvStorage c1(1, kv, d, n), c2(1, kv, d, n);
        attention(t.q, t.k, t.v, c1, 0, 0, {heads, kv, d}, clean, 1, isa);
        for (int64_t e = 0; e < kv * d; ++e) t.k.row(n - 1)[e] = t.v.row(n - 1)[e] = std::numeric_limits<float>::quiet_NaN();
        attention(t.q, t.k, t.v, c2, 0, 0, {heads, kv, d}, poisoned, 1, isa);
        EXPECT_EQ(first_different_row(clean, poisoned, n - 1), -1);
        EXPECT_TRUE(std::isnan(poisoned.row(n - 1)[0]));  // and the row that sees it is not silently finite
      }
}

TEST(CpuAttention, KernelsThatCannotRunAreRefused) {
  CpuTensor q(1, 24), k(1, 24), v(1, 24), out(1, 24);
  CpuKvStorage cache(1, 1, 24, 4);
  if (kernel_isa_supported(KernelIsa::avx512)) {
    EXPECT_THROW(attention(q, k, v, cache, 0, 0, {1, 1, 24}, out, 1, KernelIsa::avx512), Error);  // 24 % 16
  }
  EXPECT_EQ(attention_isa(20), KernelIsa::scalar);  // no vector width divides 20
}

#if LLMRUN_HAVE_SIMD_KERNELS
TEST(CpuAttention, VectorExpWithinTwoUlpOfStdExp) {
  // Every 97th fp32 in [-87.3, 0] (~1.1e7 values): the range softmax asks for.
  std::vector<float> x;
  for (uint32_t bits = 0x80000000u; bits <= 0xc2aeac4fu; bits += 97) {
    float f;
    std::memcpy(&f, &bits, 4);
    x.push_back(f);
  }
  x.resize((x.size() + 15) / 16 * 16, 0.0f);
  std::vector<float> y(x.size());
  for (KernelIsa isa : {KernelIsa::avx2, KernelIsa::avx512}) {
    if (!kernel_isa_supported(isa)) continue;
    SCOPED_TRACE(kernel_isa_name(isa));
    (isa == KernelIsa::avx512 ? simd::exp_avx512 : simd::exp_avx2)(x.data(), y.data(), int64_t(x.size()));
    double worst_ulp = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = std::exp(double(x[i]));
      const double ulp = std::max(std::ldexp(1.0, std::ilogb(want) - 23), std::ldexp(1.0, -149));
      worst_ulp = std::max(worst_ulp, std::abs(double(y[i]) - want) / ulp);
    }
    EXPECT_LE(worst_ulp, 2.0);
    std::printf("[ measured ] %s exp: worst %.2f ulp over %zu inputs in [-87.3, 0]\n", kernel_isa_name(isa),
                worst_ulp, x.size());
    // The ends: -inf gives exactly 0 (a masked position), NaN stays NaN, 0 gives 1.
    alignas(64) float special[16] = {-INFINITY, std::numeric_limits<float>::quiet_NaN(), 0.0f, -100.0f};
    alignas(64) float out[16];
    (isa == KernelIsa::avx512 ? simd::exp_avx512 : simd::exp_avx2)(special, out, 16);
    EXPECT_EQ(out[0], 0.0f);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_EQ(out[2], 1.0f);
    EXPECT_EQ(out[3], 0.0f);  // below FLT_MIN's log: flushed
  }
}
#endif

}  // namespace
}  // namespace llmrun::cpu
