// Sampling: the filters against hand-computed distributions, seeds that reproduce, and
// sampled frequencies that match the filtered distribution.
#include <cmath>
#include <map>

#include "runtime/error.h"
#include "runtime/sampler.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

// logits chosen so softmax at T=1 is exactly proportional to 8:4:2:1:1 (ln of each).
const std::vector<float> kLogits = {std::log(2.f), std::log(8.f), std::log(1.f), std::log(4.f), std::log(1.f)};
const double kTotal = 16.0;  // 8 + 4 + 2 + 1 + 1
// The logits are ln values rounded to float: |error| <= 2^-24 * ln 8 ~ 1.3e-7 each, so
// probabilities may be off by a relative ~2.6e-7 (two logits' errors).
constexpr double kTol = 1e-6;

std::vector<double> dist(SamplerOptions o, const std::vector<int32_t>& history = {}) {
  return Sampler(o).distribution(kLogits.data(), int64_t(kLogits.size()), history);
}

TEST(Sampler, GreedyIsArgmaxFirstOnTies) {
  const float tie[] = {1.f, 3.f, 3.f, 0.f};
  EXPECT_EQ(argmax(tie, 4), 1);
  Sampler s(SamplerOptions{});
  EXPECT_EQ(s.sample(kLogits.data(), 5, {}), 1);
}

TEST(Sampler, TemperatureOneIsSoftmax) {
  SamplerOptions o;
  o.temperature = 1.0;
  const auto p = dist(o);
  EXPECT_NEAR(p[1], 8 / kTotal, kTol);
  EXPECT_NEAR(p[3], 4 / kTotal, kTol);
  EXPECT_NEAR(p[0], 2 / kTotal, kTol);
  EXPECT_NEAR(p[2], 1 / kTotal, kTol);
}

TEST(Sampler, TemperatureSharpens) {
  SamplerOptions o;
  o.temperature = 0.5;  // probabilities squared: 64:16:4:1:1
  const auto p = dist(o);
  EXPECT_NEAR(p[1], 64 / 86.0, kTol);
  EXPECT_NEAR(p[4], 1 / 86.0, kTol);
}

TEST(Sampler, TopKTopPMinP) {
  SamplerOptions o;
  o.temperature = 1.0;
  o.top_k = 2;  // 8:4
  auto p = dist(o);
  EXPECT_NEAR(p[1], 8 / 12.0, kTol);
  EXPECT_NEAR(p[3], 4 / 12.0, kTol);
  EXPECT_EQ(p[0], 0.0);

  o.top_k = 0;
  o.top_p = 0.8;  // cumulative 0.5, 0.75, 0.875 >= 0.8: keep 8:4:2
  p = dist(o);
  EXPECT_NEAR(p[0], 2 / 14.0, kTol);
  EXPECT_EQ(p[2], 0.0);

  o.top_p = 1.0;
  o.min_p = 0.2;  // threshold 0.2 * 8 = 1.6 of the weights: keeps 8, 4, 2
  p = dist(o);
  EXPECT_NEAR(p[1], 8 / 14.0, kTol);
  EXPECT_EQ(p[4], 0.0);
}

TEST(Sampler, RepetitionPenaltyFollowsHfRule) {
  SamplerOptions o;
  o.temperature = 1.0;
  o.repetition_penalty = 2.0;
  // id 1 (logit ln 8 > 0) is divided by 2: weight 8 -> sqrt(8); id 2 (logit 0) stays.
  const auto p = dist(o, {1, 2});
  const double total = std::sqrt(8.0) + 4 + 2 + 1 + 1;
  EXPECT_NEAR(p[1], std::sqrt(8.0) / total, 1e-6);
  EXPECT_NEAR(p[2], 1 / total, 1e-6);
  // Greedy with the penalty: id 3 (weight 4) now beats id 1 (weight 2.83).
  SamplerOptions g;
  g.repetition_penalty = 2.0;
  EXPECT_EQ(Sampler(g).sample(kLogits.data(), 5, {1}), 3);
}

TEST(Sampler, SameSeedSameTokens) {
  SamplerOptions o;
  o.temperature = 1.0;
  o.seed = 1234;
  Sampler a(o), b(o);
  std::vector<int32_t> ta, tb;
  for (int i = 0; i < 200; ++i) ta.push_back(a.sample(kLogits.data(), 5, {})), tb.push_back(b.sample(kLogits.data(), 5, {}));
  EXPECT_EQ(ta, tb);
  o.seed = 99;
  Sampler c(o);
  std::vector<int32_t> tc;
  for (int i = 0; i < 200; ++i) tc.push_back(c.sample(kLogits.data(), 5, {}));
  EXPECT_NE(ta, tc);
}

// Pearson chi-square over the kept tokens. With 20,000 draws and <= 4 degrees of
// freedom, chi2 > 30 has probability < 1e-5 under the right distribution (and the seed
// is fixed, so the test is deterministic); a wrong filter gives chi2 in the thousands.
TEST(Sampler, FrequenciesMatchFilteredDistribution) {
  for (auto [top_k, top_p, min_p] : {std::tuple{0, 1.0, 0.0}, std::tuple{3, 1.0, 0.0}, std::tuple{0, 0.8, 0.0},
                                     std::tuple{0, 1.0, 0.2}}) {
    SamplerOptions o;
    o.temperature = 1.0;
    o.top_k = top_k, o.top_p = top_p, o.min_p = min_p;
    o.seed = 7;
    Sampler s(o);
    const auto p = s.distribution(kLogits.data(), 5, {});
    const int n = 20000;
    std::vector<int> count(5);
    for (int i = 0; i < n; ++i) ++count[size_t(s.sample(kLogits.data(), 5, {}))];
    double chi2 = 0;
    for (size_t i = 0; i < 5; ++i) {
      if (p[i] == 0) {
        EXPECT_EQ(count[i], 0) << "filtered token " << i << " was sampled";
        continue;
      }
      const double expected = n * p[i];
      chi2 += (count[i] - expected) * (count[i] - expected) / expected;
    }
    EXPECT_LT(chi2, 30.0) << "top_k " << top_k << " top_p " << top_p << " min_p " << min_p;
  }
}

TEST(Sampler, InvalidOptionsNameTheFlag) {
  auto error_of = [](SamplerOptions o) {
    try {
      validate(o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  SamplerOptions o;
  o.temperature = -1;
  EXPECT_NE(error_of(o).find("--temp"), std::string::npos);
  o = {};
  o.top_p = 0;
  EXPECT_NE(error_of(o).find("--top-p"), std::string::npos);
  o = {};
  o.min_p = 2;
  EXPECT_NE(error_of(o).find("--min-p"), std::string::npos);
  o = {};
  o.top_k = -3;
  EXPECT_NE(error_of(o).find("--top-k"), std::string::npos);
  o = {};
  o.repetition_penalty = 0;
  EXPECT_NE(error_of(o).find("--repeat-penalty"), std::string::npos);
}

}  // namespace
}  // namespace llmrun
