// make_plan: the greedy choice over hand-made measurements, and its budget errors.
#include <gtest/gtest.h>

#include "eval/sensitivity.h"
#include "runtime/error.h"

namespace llmrun::eval {
namespace {

std::vector<TensorSensitivity> two_tensors() {
  const WeightFormat fp6 = parse_weight_format("fp6-e2m3"), int8 = parse_weight_format("int8-g32");
  TensorSensitivity a, b;
  a.name = "a", b.name = "b";
  a.rows = b.rows = 4;
  a.cols = b.cols = 64;
  a.kl = {{fp6, 0.010}, {int8, 0.001}};  // upgrading a saves 0.009
  b.kl = {{fp6, 0.004}, {int8, 0.0005}}; // upgrading b saves 0.0035 for the same bytes
  return {a, b};
}

TEST(SensitivityPlan, OneUpgradeGoesToTheTensorItHelpsMost) {
  const WeightFormat fp6 = parse_weight_format("fp6-e2m3"), int8 = parse_weight_format("int8-g32");
  const int64_t small = weight_bytes(fp6, 4, 64), large = weight_bytes(int8, 4, 64);
  ASSERT_LT(small, large);
  PlanBudget budget;
  budget.max_bytes = 2 * small + (large - small);  // room for one upgrade, not two
  const PrecisionPlan plan = make_plan(two_tensors(), parse_weight_format("fp16"), budget);
  ASSERT_EQ(plan.tensors.size(), 2u);
  EXPECT_EQ(plan.tensors[0].second, int8);
  EXPECT_EQ(plan.tensors[1].second, fp6);
  EXPECT_DOUBLE_EQ(plan.predicted_kl, 0.001 + 0.004);
  EXPECT_EQ(plan.bytes, small + large);
}

TEST(SensitivityPlan, ABitBudgetBelowTheSmallestFormatNamesBits) {
  PlanBudget budget;
  budget.bits = 5.0;  // fp6-e2m3 is 6 bits plus its row scales
  try {
    make_plan(two_tensors(), parse_weight_format("fp16"), budget);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("over --bits 5"), std::string::npos) << m;
    EXPECT_NE(m.find("bits per linear weight"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace llmrun::eval
