// measure_sensitivity reads the weights it re-encodes from either kind of checkpoint.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "eval/log_probs.h"
#include "eval/sensitivity.h"
#include "runtime/model_loader.h"
#include "runtime/models/weight_table.h"
#include "runtime/weight_source.h"
#include "tests/quiet_load.h"
#include "tests/test_support.h"

namespace llmrun::eval {
namespace {

std::vector<TensorSensitivity> measure(const std::string& path, const std::vector<WeightFormat>& candidates,
                                       const ImportanceMatrix* importance = nullptr) {
  std::unique_ptr<Backend> backend = make_backend({"cpu", 1});
  LoadedModel m = load_model(path, *backend, testing::quiet_load("fp16"));
  std::vector<int32_t> ids(70);
  std::iota(ids.begin(), ids.end(), 3);  // any ids below the vocabulary size (512)
  return measure_sensitivity(*m.model, path, ids, 32, candidates, nullptr, importance);
}

// With an importance matrix the group-scaled candidates are encoded as --imatrix loads them
// (other scales, other KL); per-row ones have no search to weight and measure the same.
TEST(SensitivitySources, ImportanceReachesTheGroupScaledCandidates) {
  const std::string dir = testing::test_data("models/llama-tiny");
  const std::vector<WeightFormat> candidates = parse_candidates("fp6-e2m3-g32,int8-row");
  ImportanceMatrix m;
  m.path = "test";
  const std::string q = "model.layers.0.self_attn.q_proj.weight";
  const int64_t cols = config_of_model(dir).hidden_size;
  for (int64_t j = 0; j < cols; ++j) m.by_weight[q].push_back(j % 5 == 0 ? 100.0f : 0.01f);
  const auto plain = measure(dir, candidates), weighted = measure(dir, candidates, &m);
  ASSERT_EQ(plain.size(), weighted.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    SCOPED_TRACE(plain[i].name);
    EXPECT_EQ(weighted[i].kl.at(WeightFormat::int8), plain[i].kl.at(WeightFormat::int8));
    if (plain[i].name == q) EXPECT_NE(weighted[i].kl.at(WeightFormat::fp6_e2m3_g32), plain[i].kl.at(WeightFormat::fp6_e2m3_g32));
    else EXPECT_EQ(weighted[i].kl.at(WeightFormat::fp6_e2m3_g32), plain[i].kl.at(WeightFormat::fp6_e2m3_g32));
  }
  m.by_weight[q].pop_back();
  EXPECT_NE(testing::error_of([&] { measure(dir, candidates, &m); }).find(q + ": " + std::to_string(cols - 1) + " inputs"),
            std::string::npos);
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

// Each measurement against the plain definition: the whole model run with that one tensor
// swapped, mean KL over every scored position of every window (measure_sensitivity starts
// at the tensor's layer instead).
TEST(SensitivitySources, EachKlIsTheWholeModelsWithThatTensorSwapped) {
  const std::string path = testing::test_data("models/llama-tiny");
  const WeightFormat format = parse_weight_format("fp6-e2m3");
  std::vector<int32_t> ids(70);
  std::iota(ids.begin(), ids.end(), 3);
  const int64_t context = 32;  // windows of 32, 32 and 6 tokens
  const auto measured = measure(path, {format});

  std::unique_ptr<Backend> backend = make_backend({"cpu", 1});
  LoadedModel m = load_model(path, *backend, testing::quiet_load("fp16"));
  DecoderModel& model = *m.model;
  const int64_t vocab = model.config().vocab_size;
  KvCache cache = model.new_cache(context);
  auto run_all = [&] {
    std::vector<std::vector<float>> out;
    for (size_t b = 0; b < ids.size(); b += size_t(context)) {
      const std::vector<int32_t> w(ids.begin() + long(b), ids.begin() + long(std::min(ids.size(), b + size_t(context))));
      cache.clear();
      out.push_back(model.forward(w, cache, LogitRows::all));
    }
    return out;
  };
  const auto reference = run_all();
  std::vector<WeightSlot> planned;
  for (const WeightSlot& slot : weight_table(model.config(), model.mutable_weights()))
    if (is_planned(slot)) planned.push_back(slot);
  ASSERT_EQ(planned.size(), measured.size());
  // llama-tiny's head is untied: the embedding (measured with the whole forward), the LM
  // head (from the last layer on), then the linear tensors (each from its layer on).
  ASSERT_GE(planned.size(), 5u);
  ASSERT_EQ(planned[0].role, WeightRole::embedding);
  ASSERT_EQ(planned[1].role, WeightRole::lm_head);
  EXPECT_EQ(measured[0].layer, -1);
  EXPECT_EQ(measured[1].projection, "");
  for (size_t t : {size_t(0), size_t(1), size_t(2), planned.size() / 2, planned.size() - 1}) {
    const WeightSlot& slot = planned[t];
    SCOPED_TRACE(slot.hf_name);
    ASSERT_EQ(measured[t].name, slot.hf_name);
    std::unique_ptr<Weight> original = std::move(*slot.target);
    const std::vector<float> source = WeightSource(path).read_f32(slot.hf_name);
    *slot.target = backend->upload(encode_weight(slot.hf_name, source, slot.rows, slot.cols, format));
    const auto swapped = run_all();
    *slot.target = std::move(original);
    double sum = 0;
    int64_t n = 0;
    for (size_t w = 0; w < reference.size(); ++w)
      for (size_t j = 0; j + 1 < reference[w].size() / size_t(vocab); ++j, ++n)
        sum += kl_divergence(reference[w].data() + j * size_t(vocab), swapped[w].data() + j * size_t(vocab), vocab);
    const double want = sum / double(n);
    ASSERT_GT(want, 0.0);
    EXPECT_NEAR(measured[t].kl.at(format), want, 1e-3 * want);
  }
}

}  // namespace
}  // namespace llmrun::eval
