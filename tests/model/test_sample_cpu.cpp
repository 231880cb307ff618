// cpu::sample (partial selection, no sort of the vocabulary) against the reference Sampler
// (runtime/sampler.cpp): with top-k on, the same pick for every u (it replays the
// reference's arithmetic on the k survivors); with top-k off, the same pick except for u
// within the derived margin of a CDF boundary (tests/sampling_reference.h). Random rows,
// crafted ties at the top-k boundary, a huge spike, flat rows, masked rows, vocabularies
// of 1, 7 and 151,936, over grids of top-k, top-p, min-p and temperature.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/sample.h"
#include "runtime/sampler.h"
#include "tests/sampling_reference.h"

namespace llmrun {
namespace {

using testing::describe;
using testing::ReferenceRow;

// Checks every (row, params, u); counts the checks, the rows and the ambiguous rows.
void check_grid(int64_t vocab, const std::vector<SamplingParams>& grid, int random_us, int* checked, int* ambiguous,
                int* rows_seen) {
  for (const testing::TestRow& row : testing::sampler_test_rows(vocab, uint32_t(vocab))) {
    for (const SamplingParams& p : grid) {
      const bool top_k_on = p.top_k > 0 && p.top_k < vocab;
      const ReferenceRow ref(row.logits, p, testing::double_precision(vocab));
      ++*rows_seen;
      *ambiguous += ref.ambiguous();
      for (float uf : testing::probe_uniforms(ref.distribution(), uint32_t(*rows_seen), random_us)) {
        const double u = uf;
        const int32_t got = cpu::sample(row.logits.data(), vocab, p, u);
        if (top_k_on) {  // the reference's own arithmetic on the k survivors: bit for bit
          ASSERT_EQ(got, ref.pick(u)) << describe(row.name, p, u);
        } else {
          const std::string why = ref.check(got, u);
          ASSERT_TRUE(why.empty()) << describe(row.name, p, u) << ": " << why;
        }
        ++*checked;
      }
    }
  }
}

TEST(CpuSample, MatchesReferenceOnSmallVocabularies) {
  for (int64_t vocab : {1, 2, 7, 64, 769}) {
    int checked = 0, ambiguous = 0, rows = 0;
    check_grid(vocab, testing::sampler_param_grid(vocab, vocab / 2 + 3), 24, &checked, &ambiguous, &rows);
    EXPECT_GT(checked, 1000);
    // Flat and tied rows meet the top-p threshold exactly (e.g. 4 of 8 equal tokens at
    // top_p 0.5), which the margin calls ambiguous; random rows almost never do.
    EXPECT_LT(ambiguous, rows / 3) << "vocab " << vocab;
  }
}

TEST(CpuSample, MatchesReferenceOnAFullVocabulary) {
  const int64_t vocab = 151936;
  std::vector<SamplingParams> grid = {{0.7f, 20, 0.95f, 0.0f}, {1.0f, 20, 0.95f, 0.05f}, {1.0f, 0, 1.0f, 0.0f},
                                      {1.5f, 0, 0.95f, 0.0f},  {0.7f, 0, 0.5f, 0.05f},   {1.0f, 40000, 0.9f, 0.0f},
                                      {1.0f, 1, 1.0f, 0.0f},   {1.0f, vocab + 5, 1e-6f, 0.0f}};
  int checked = 0, ambiguous = 0, rows = 0;
  check_grid(vocab, grid, 6, &checked, &ambiguous, &rows);
  EXPECT_GT(checked, 500);
  EXPECT_LT(ambiguous, rows / 3);
}

TEST(CpuSample, RowOfMinusInfinityIsAUniformChoiceAmongTheTopK) {
  // The reference gives NaN probabilities here; the contract makes the tied maxima weigh 1
  // each: top-p 0.9 keeps the first ceil(0.9 n) of n equal tokens, u picks floor(u m).
  const std::vector<float> row(100, -std::numeric_limits<float>::infinity());
  for (int64_t k : {0, 1, 10}) {
    const SamplingParams p{1.0f, k, 0.9f, 0.1f};
    const double n = k > 0 ? double(k) : 100.0;
    const double m = std::ceil(double(0.9f) * n);
    for (double u : {0.0, 0.3, 0.999}) EXPECT_EQ(cpu::sample(row.data(), 100, p, u), int32_t(u * m)) << k << " " << u;
  }
}

// generate.cpp's path: a Sampler's own generator gives u, cpu::sample picks; the same
// tokens as Sampler::sample with the same seed (top-k on: exact; the options are exact in
// fp32, as SamplingParams holds them).
// A NaN or +inf anywhere in a row gives -1 (generation reports it instead of sampling).
TEST(CpuSample, BrokenRowsGiveMinusOne) {
  for (float bad : {std::nanf(""), std::numeric_limits<float>::infinity()})
    for (int64_t k : {int64_t(0), int64_t(20)}) {
      std::vector<float> row(1000, 0.5f);
      row[777] = bad;
      EXPECT_EQ(cpu::sample(row.data(), 1000, SamplingParams{0.7f, k, 0.95f, 0.0f}, 0.5), -1) << bad << " " << k;
    }
}

TEST(CpuSample, SameTokensAsSamplerWithTheSameSeed) {
  const std::vector<float> logits = testing::normal_logits(5000, 3.0f, 11);
  SamplerOptions o;
  o.temperature = 0.75;
  o.top_k = 20;
  o.top_p = 0.875;
  o.seed = 42;
  Sampler reference(o), source(o);
  const SamplingParams p = source.params();
  for (int i = 0; i < 300; ++i)
    ASSERT_EQ(cpu::sample(logits.data(), 5000, p, source.next_uniform()), reference.sample(logits.data(), 5000, {}))
        << "draw " << i;
}

}  // namespace
}  // namespace llmrun
