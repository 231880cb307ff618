// The paired accuracy difference llmeval lambada reports beside each precision.
#include <gtest/gtest.h>

#include <cmath>

#include "eval/lambada.h"
#include "runtime/error.h"

namespace llmrun::eval {
namespace {

LambadaResult with_greedy(const std::vector<int>& right) {
  LambadaResult r;
  for (int g : right) r.passages.push_back({0.0, g != 0, 1});
  return r;
}

TEST(LambadaPairing, WorkedExample) {
  // d = other - baseline = [0, -1, +1, +1]: mean 0.25, squared deviations 0.0625 + 1.5625 +
  // 0.5625 + 0.5625 = 2.75, sample variance 2.75 / 3, stderr sqrt(2.75 / 3) / sqrt(4).
  const PairedAccuracy p = compare_passages(with_greedy({1, 1, 0, 0}), with_greedy({1, 0, 1, 1}));
  EXPECT_EQ(p.gained, 2);
  EXPECT_EQ(p.lost, 1);
  EXPECT_DOUBLE_EQ(p.delta, 0.25);
  EXPECT_NEAR(p.delta_stderr, std::sqrt(2.75 / 3.0) / 2.0, 1e-15);
}

TEST(LambadaPairing, FarBelowTheUnpairedErrorWhenFewPassagesFlip) {
  // 1,000 passages, 300 right in both, 10 lost, 5 gained: the two accuracies' own errors
  // are ~1.45 pt each, the paired difference's ~0.39 pt.
  std::vector<int> base(1000, 0), other(1000, 0);
  for (int i = 0; i < 310; ++i) base[i] = 1;
  for (int i = 0; i < 300; ++i) other[i] = 1;
  for (int i = 310; i < 315; ++i) other[i] = 1;
  const PairedAccuracy p = compare_passages(with_greedy(base), with_greedy(other));
  EXPECT_EQ(p.gained, 5);
  EXPECT_EQ(p.lost, 10);
  EXPECT_DOUBLE_EQ(p.delta, -0.005);
  double sum = 0;
  for (int i = 0; i < 1000; ++i) sum += std::pow(other[i] - base[i] + 0.005, 2);
  EXPECT_NEAR(p.delta_stderr, std::sqrt(sum / 999.0) / std::sqrt(1000.0), 1e-15);
  EXPECT_LT(p.delta_stderr, 0.004);
}

TEST(LambadaPairing, IdenticalResultsDifferByExactlyZero) {
  const PairedAccuracy p = compare_passages(with_greedy({1, 0, 1}), with_greedy({1, 0, 1}));
  EXPECT_EQ(p.gained + p.lost, 0);
  EXPECT_EQ(p.delta, 0.0);
  EXPECT_EQ(p.delta_stderr, 0.0);
}

TEST(LambadaPairing, RefusesResultsOfDifferentSets) {
  EXPECT_THROW(compare_passages(with_greedy({1, 0}), with_greedy({1, 0, 1})), Error);
}

}  // namespace
}  // namespace llmrun::eval
