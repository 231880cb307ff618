// measure_sensitivity reads the weights it re-encodes from either kind of checkpoint.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "eval/sensitivity.h"
#include "runtime/model_loader.h"
#include "tests/quiet_load.h"
#include "tests/test_support.h"

namespace llmrun::eval {
namespace {

std::vector<TensorSensitivity> measure(const std::string& path, const std::vector<WeightFormat>& candidates) {
  std::unique_ptr<Backend> backend = make_backend({"cpu", 1});
  LoadedModel m = load_model(path, *backend, testing::quiet_load("fp16"));
  std::vector<int32_t> ids(65);
  std::iota(ids.begin(), ids.end(), 3);  // any ids below the vocabulary size (512)
  return measure_sensitivity(*m.model, path, ids, 32, candidates);
}

// llama-tiny.gguf holds the folder's bf16 weights in llama.cpp's layout (q/k rows
// permuted): read through the GGUF path they re-encode to the same codes, so every KL is
// the folder's to float rounding (the two baselines' sums run in different orders). A
// GGUF read that skipped the un-permute would scramble q and k's heads: KL far off.
TEST(SensitivitySources, GgufFileGivesTheFolderNumbers) {
  const std::vector<WeightFormat> candidates = parse_candidates("fp6-e2m3-g32,int8-row");
  const auto folder = measure(testing::test_data("models/llama-tiny"), candidates);
  const auto gguf = measure(testing::test_data("gguf/llama-tiny.gguf"), candidates);
  ASSERT_EQ(folder.size(), gguf.size());
  ASSERT_FALSE(folder.empty());
  for (size_t i = 0; i < folder.size(); ++i) {
    SCOPED_TRACE(folder[i].name);
    EXPECT_EQ(gguf[i].name, folder[i].name);
    for (WeightFormat f : candidates) {
      const double a = folder[i].kl.at(f), b = gguf[i].kl.at(f);
      ASSERT_TRUE(std::isfinite(a) && std::isfinite(b));
      EXPECT_GT(a, 0.0);  // the swap really changed the model
      EXPECT_NEAR(b, a, 1e-3 * a);
    }
  }
}

}  // namespace
}  // namespace llmrun::eval
