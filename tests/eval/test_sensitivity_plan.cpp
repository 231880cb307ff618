// make_plan: the greedy choice over hand-made measurements, and its budget errors.
#include <gtest/gtest.h>

#include "eval/sensitivity.h"
#include "runtime/error.h"
#include "runtime/model_loader.h"
#include "tests/quiet_load.h"
#include "tests/test_support.h"

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
    EXPECT_NE(m.find("bits per planned weight"), std::string::npos) << m;
  }
}

// Saved measurements: the embedding / LM head join the plan when every grid has them,
// stay out when none has (runs that planned the linear tensors alone), and a grid missing
// one that others have is refused by name.
TEST(SensitivityPlan, SavedMeasurementsOfTheEmbeddingJoinWhenEveryGridHasThem) {
  std::unique_ptr<Backend> backend = make_backend({"cpu", 1});
  LoadedModel m = load_model(testing::test_data("models/qwen3-tiny"), *backend, testing::quiet_load("fp16"));
  const int64_t layers = m.config.num_layers;
  std::vector<SensitivityGrid> grids(2);
  grids[0].format = "fp6-e2m3";
  grids[1].format = "int8-g32";
  for (SensitivityGrid& g : grids) {
    g.projections = {"q", "k", "v", "o", "gate", "up", "down"};
    g.kl.assign(size_t(layers), std::vector<double>(7, 0.001));
  }
  const size_t linear = size_t(layers) * 7;
  EXPECT_EQ(sensitivity_from_grids(*m.model, grids, "saved").size(), linear);

  grids[0].tensors["model.embed_tokens.weight"] = 0.02;
  try {
    sensitivity_from_grids(*m.model, grids, "saved");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("int8-g32 measurements have no value for model.embed_tokens.weight"), std::string::npos) << msg;
  }

  grids[1].tensors["model.embed_tokens.weight"] = 0.003;
  const std::vector<TensorSensitivity> all = sensitivity_from_grids(*m.model, grids, "saved");
  ASSERT_EQ(all.size(), linear + 1);  // qwen3-tiny ties its head: no lm_head.weight
  EXPECT_EQ(all[0].name, "model.embed_tokens.weight");
  EXPECT_EQ(all[0].layer, -1);
  EXPECT_EQ(all[0].rows, m.config.vocab_size);
  EXPECT_DOUBLE_EQ(all[0].kl.at(parse_weight_format("int8-g32")), 0.003);
}

}  // namespace
}  // namespace llmrun::eval
