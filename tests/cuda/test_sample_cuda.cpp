// The sample kernel (kernels/cuda/sample.cu) against the reference Sampler
// (runtime/sampler.cpp) fed the same logits, already rounded to the logits' dtype: for each
// row, params and u, the kernel's pick is the reference's inverse CDF at u, except within
// the derived margin of a CDF boundary, and never a token the reference filtered out
// (tests/sampling_reference.h states the margins). Vocabularies 1, 7, 769, 2048 (the
// candidate capacity), 2049 and 5001 over the whole grid of top-k / top-p / min-p /
// temperature (every path: candidates in shared memory, tie cuts at the top-k boundary,
// the row-wide path for top-k off or > 2048); 151,936 on the settings that matter; rows of
// -inf. Odd vocabularies put rows after the first at unaligned addresses (scalar loads).
// On the host harness each test case takes a few seconds; the _gpu twin runs the same.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/sample.cuh"
#include "tests/cuda/device_test.h"
#include "tests/sampling_reference.h"

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

using testing::describe;
using testing::ReferenceRow;

// One kernel launch: `logits` (rounded to T) as one row per u; the picks.
template <typename T>
std::vector<int32_t> sample_on_device(const std::vector<float>& logits, const SamplingParams& p,
                                      const std::vector<float>& us) {
  const size_t vocab = logits.size(), rows = us.size();
  std::vector<T> host(rows * vocab);
  for (size_t r = 0; r < rows; ++r)
    for (size_t i = 0; i < vocab; ++i) host[r * vocab + i] = from_f32<T>(logits[i]);
  static OwnedStream stream;  // one for the test binary (a harness executor maps fiber stacks)
  DeviceBuffer<T> d_logits(host.size(), "logits");
  DeviceBuffer<float> d_us(rows, "uniforms");
  DeviceBuffer<int32_t> d_out(rows, "ids");
  d_logits.upload(host, stream.get());
  d_us.upload(us, stream.get());
  sample_rows(d_logits.data(), int64_t(rows), int64_t(vocab), p, d_us.data(), d_out.data(), stream.get());
  return d_out.download(stream.get());
}

template <typename T>
std::vector<float> rounded(const std::vector<float>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = to_f32(from_f32<T>(v[i]));
  return out;
}

struct Counts {
  int checked = 0, rows = 0, ambiguous = 0, off_reference = 0;
};

// Runs (row kind, params) pairs of the grid, each with probe u's (one row each) in one
// launch: every `stride`-th params, each on `kinds_per_params` of the row kinds, rotating
// with the vocabulary so each kind meets each filter somewhere (the host harness runs a
// few hundred rows a second, so the whole product would take minutes).
template <typename T>
void check(int64_t vocab, const std::vector<SamplingParams>& grid, size_t stride, Counts* c,
           size_t kinds_per_params = 1) {
  const std::vector<testing::TestRow> kinds = testing::sampler_test_rows(vocab, uint32_t(vocab) + 17);
  for (size_t k = 0; k < kinds.size(); ++k) {
    const std::vector<float> logits = rounded<T>(kinds[k].logits);
    for (size_t g = 0; g < grid.size(); ++g) {
      if (g % stride != 0 || (g / stride + size_t(vocab) + k) % kinds.size() >= kinds_per_params) continue;
      const SamplingParams& p = grid[g];
      const ReferenceRow ref(logits, p, testing::fp32_kernel_precision());
      const std::vector<float> us = testing::probe_uniforms(ref.distribution(), uint32_t(c->rows), 3);
      const std::vector<int32_t> got = sample_on_device<T>(logits, p, us);
      ++c->rows;
      c->ambiguous += ref.ambiguous();
      for (size_t r = 0; r < us.size(); ++r) {
        const std::string why = ref.check(got[r], us[r]);
        ASSERT_TRUE(why.empty()) << "vocab " << vocab << " " << describe(kinds[k].name, p, us[r]) << ": " << why;
        c->off_reference += got[r] != ref.pick(us[r]);
        ++c->checked;
      }
    }
  }
}

// Ambiguous rows are crafted ties meeting a threshold exactly, and a pick other than the
// reference's needs u within eps of a boundary: both must stay the exception, or the
// test would prove little.
void expect_mostly_exact(const Counts& c, int min_picks, const char* what) {
  EXPECT_GE(c.checked, min_picks) << what;
  EXPECT_LT(c.ambiguous, c.rows / 3) << what << ": " << c.rows << " rows";
  EXPECT_LT(c.off_reference, c.checked / 10) << what << ": " << c.checked << " picks";
  std::printf("%s: %d picks over %d rows, %d ambiguous rows, %d picks off the reference within the margin\n", what,
              c.checked, c.rows, c.ambiguous, c.off_reference);
}

template <typename T>
class Sample : public ::testing::Test {
 protected:
  // fp32 logits go over every params of the grid; the 16-bit types, which differ only in
  // the loads and the rounding of the inputs, over every other one.
  static size_t stride() { return std::is_same<T, float>::value ? 1 : 2; }
};
using LogitTypes = ::testing::Types<float, bf16_t, f16_t>;
TYPED_TEST_SUITE(Sample, LogitTypes);

// Every id held in shared memory from the start (vocab <= 2048).
TYPED_TEST(Sample, GridOnSmallVocabularies) {
  LLMRUN_REQUIRE_DEVICE();
  Counts c;
  for (int64_t vocab : {1, 7, 769}) check<TypeParam>(vocab, testing::sampler_param_grid(vocab), this->stride(), &c);
  expect_mostly_exact(c, 600, "vocab 1, 7, 769");
}

// The candidate capacity (2048): all of them sorted in shared memory.
TYPED_TEST(Sample, GridAtTheCandidateCapacity) {
  LLMRUN_REQUIRE_DEVICE();
  Counts c;
  check<TypeParam>(2048, testing::sampler_param_grid(2048, 1000), this->stride(), &c);
  expect_mostly_exact(c, 400, "vocab 2048");
}

// One past it: selection passes, compaction and tie cuts; top-k 2047 compacts after
// selection, top-k off goes the row-wide way.
TYPED_TEST(Sample, GridPastTheCandidateCapacity) {
  LLMRUN_REQUIRE_DEVICE();
  Counts c;
  check<TypeParam>(2049, testing::sampler_param_grid(2049, 2047), this->stride(), &c);
  expect_mostly_exact(c, 400, "vocab 2049");
}

// Top-k 2500 > 2048: the row-wide way with a top-k tie cut.
TYPED_TEST(Sample, GridOnALargerVocabulary) {
  LLMRUN_REQUIRE_DEVICE();
  Counts c;
  check<TypeParam>(5001, testing::sampler_param_grid(5001, 2500), this->stride(), &c);
  expect_mostly_exact(c, 400, "vocab 5001");
}

// Qwen3's vocabulary: its defaults (top-k 20, top-p 0.95), top-k off, and top-k 5000.
TYPED_TEST(Sample, QwenVocabulary) {
  LLMRUN_REQUIRE_DEVICE();
  const int64_t vocab = 151936;
  const std::vector<SamplingParams> grid = {{0.6f, 20, 0.95f, 0.0f}, {1.0f, 20, 0.95f, 0.05f}, {0.7f, 1, 1.0f, 0.0f},
                                            {1.0f, 0, 1.0f, 0.0f},   {1.5f, 0, 0.95f, 0.0f},   {0.7f, 0, 0.5f, 0.05f},
                                            {1.0f, 5000, 0.9f, 0.0f}};
  Counts c;
  check<TypeParam>(vocab, grid, 1, &c, this->stride() == 1 ? 7 : 3);
  expect_mostly_exact(c, 150, "vocab 151936");
}

// The reference computes NaN probabilities for a row of -inf; the contract makes the tied
// maxima weigh 1 each: top-p 0.9 keeps the first ceil(0.9 n) of the n kept (by id), and u
// picks floor(u m) among them. Both paths: n <= 2048 in shared memory, and the row-wide one.
TYPED_TEST(Sample, RowOfMinusInfinityIsAUniformChoice) {
  LLMRUN_REQUIRE_DEVICE();
  const int64_t vocab = 3001;
  const std::vector<float> row(size_t(vocab), -std::numeric_limits<float>::infinity());
  const std::vector<float> us = {0.0f, 0.3f, 0.999f};
  for (int64_t k : {int64_t(0), int64_t(1), int64_t(10), int64_t(2500)}) {
    const SamplingParams p{1.0f, k, 0.9f, 0.1f};
    const double n = k > 0 ? double(k) : double(vocab);
    const double m = std::ceil(double(0.9f) * n);
    const std::vector<int32_t> got = sample_on_device<TypeParam>(row, p, us);
    for (size_t r = 0; r < us.size(); ++r)
      EXPECT_EQ(got[r], int32_t(double(us[r]) * m)) << "top_k " << k << " u " << us[r];
  }
}

// A NaN or +inf anywhere in a row gives -1 (generation reports it instead of sampling),
// on both paths (top-k in shared memory, and over the row).
TYPED_TEST(Sample, BrokenRowsGiveMinusOne) {
  LLMRUN_REQUIRE_DEVICE();
  const int64_t vocab = 5000;
  for (float bad : {std::nanf(""), std::numeric_limits<float>::infinity()})
    for (int64_t at : {int64_t(0), int64_t(4999)})
      for (int64_t k : {int64_t(0), int64_t(20)}) {
        std::vector<float> row(static_cast<size_t>(vocab));
        for (int64_t i = 0; i < vocab; ++i) row[size_t(i)] = float(i % 97) * 0.01f;
        row[size_t(at)] = bad;
        const std::vector<int32_t> got = sample_on_device<TypeParam>(row, SamplingParams{0.7f, k, 0.95f, 0.0f}, {0.5f});
        EXPECT_EQ(got.at(0), -1) << bad << " at " << at << " top_k " << k;
      }
}

// Tie cuts where the row-wide path rescans a thread's id range: ids alternate between two
// logits (A = 1 at even ids, B = 0 at odd ids), so the kept B's (the first t by id) sit
// between kept A's; u's inside the intervals of the kept ids around the last
// kept B. top-p cuts inside the B's (top-k off, and top-k 2500 > 2048: both row-wide), and
// top-k 2000 cuts them in shared memory.
TYPED_TEST(Sample, TieCutsBetweenKeptIds) {
  LLMRUN_REQUIRE_DEVICE();
  const int64_t vocab = 3001;
  std::vector<float> row(static_cast<size_t>(vocab));
  for (size_t i = 0; i < row.size(); ++i) row[i] = i % 2 == 0 ? 1.0f : 0.0f;
  // 1501 A's of weight 1 and 1500 B's of e^-1: top-p 0.8657 needs about 750 B's.
  for (const SamplingParams& p : {SamplingParams{1.0f, 0, 0.8657f, 0.0f}, SamplingParams{1.0f, 2500, 0.9999f, 0.0f},
                                  SamplingParams{1.0f, 2500, 1.0f, 0.0f}, SamplingParams{1.0f, 2000, 1.0f, 0.0f}}) {
    const ReferenceRow ref(row, p, testing::fp32_kernel_precision());
    ASSERT_FALSE(ref.ambiguous()) << describe("alternating", p, 0.0);
    const std::vector<double>& dist = ref.distribution();
    int64_t last_b = -1;
    for (int64_t i = 1; i < vocab; i += 2)
      if (dist[size_t(i)] > 0.0) last_b = i;
    ASSERT_GT(last_b, 0);
    std::vector<float> us;
    double cum = 0.0;
    for (int64_t i = 0; i < vocab; ++i) {
      if (dist[size_t(i)] > 0.0 && i >= last_b - 6 && i <= last_b + 12)
        for (double f : {0.2, 0.5, 0.8}) us.push_back(float(cum + dist[size_t(i)] * f));
      cum += dist[size_t(i)];
    }
    const std::vector<int32_t> got = sample_on_device<TypeParam>(row, p, us);
    for (size_t r = 0; r < us.size(); ++r) {
      EXPECT_EQ(got[r], ref.pick(us[r])) << describe("alternating", p, us[r]);
      EXPECT_TRUE(ref.check(got[r], us[r]).empty());
    }
  }
}

// The key order: monotone with the float order (-0 made +0), and invertible.
TEST(SampleKeys, OrderKeyIsMonotoneAndInvertible) {
  using namespace sample_detail;
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {-inf, -3.4e38f, -1.0f, -1e-45f, 0.0f, 1e-45f, 1e-38f, 1.0f, 1.0000001f, 3.4e38f, inf};
  std::mt19937 rng(5);
  for (int i = 0; i < 2000; ++i) {
    const uint32_t bits = rng();
    const float x = quant::f32_from_bits(bits);
    if (!std::isnan(x)) v.push_back(x);
  }
  for (float a : v) {
    EXPECT_EQ(quant::f32_bits(key_value(order_key(canonical(a)))), quant::f32_bits(canonical(a)));
    for (size_t j = 0; j < 40; ++j) {
      const float b = v[(size_t(quant::f32_bits(a)) + j) % v.size()];
      EXPECT_EQ(a < b, order_key(canonical(a)) < order_key(canonical(b))) << a << " " << b;
      EXPECT_EQ(a == b, order_key(canonical(a)) == order_key(canonical(b))) << a << " " << b;
    }
  }
  EXPECT_EQ(order_key(canonical(-0.0f)), order_key(0.0f));
}

// Walking bins 0, 1, ... covers the range from its top key down, without gaps or overlaps,
// and every key of a bin's range lands in that bin (checked at both ends of each bin).
void expect_partition(const sample_detail::Binning& b) {
  unsigned next_hi = b.top;
  int bins = 0;
  for (int bin = 0; bin < sample_detail::kBins; ++bin) {
    unsigned hi, lo;
    if (!b.keys(bin, &hi, &lo)) break;
    ++bins;
    ASSERT_EQ(hi, next_hi) << "bin " << bin << " top " << b.top << " lo " << b.lo << " shift " << b.shift;
    ASSERT_LE(lo, hi);
    ASSERT_EQ(b.bin(hi), bin);
    ASSERT_EQ(b.bin(lo), bin);
    if (lo == b.lo) return;
    next_hi = lo - 1;
  }
  FAIL() << "the bins end above the range's lowest key: top " << b.top << " lo " << b.lo << " after " << bins;
}

TEST(SampleBinning, BinsPartitionTheirRange) {
  using sample_detail::Binning;
  using sample_detail::order_key;
  for (unsigned top : {0u, 5u, 63u, 64u, 65u, 1000u, 0x7fffffffu, 0x80000000u, order_key(1.0f), order_key(30.5f),
                       order_key(-7.0f), order_key(std::numeric_limits<float>::infinity()), 0xffffffffu})
    expect_partition(Binning::logarithmic(top));
  std::mt19937 rng(9);
  expect_partition(Binning::linear(0xffffffffu, 0u));
  for (int i = 0; i < 300; ++i) {
    unsigned a = rng(), c = rng() >> (rng() % 32);
    if (a < c) std::swap(a, c);
    expect_partition(Binning::linear(a, c));
    expect_partition(Binning::linear(a, a));
  }
}

}  // namespace
}  // namespace llmrun::LLMRUN_CUDA_NS
