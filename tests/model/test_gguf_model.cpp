// A real GGUF end to end: SmolLM2-135M-Instruct Q4_1 (llama architecture, so q/k rows
// are permuted in the file; gpt2 tokenizer with the smollm pre-tokenizer) against HF
// transformers 4.57.6 loading the same file (tests/data/gguf/smollm2_golden.json, from
// scripts/make_gguf_model_goldens.py). Needs the file from scripts/fetch_smollm2.sh:
// skipped without it, a failure under CI.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "loaders/tokenizer/tokenizer.h"
#include "runtime/model_loader.h"
#include "tests/quiet_load.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

std::string smollm2_path() {
  const std::string cache = testing::env_or("LLMRUN_CACHE", testing::env_or("HOME", "/tmp") + "/.cache/llmrun");
  return testing::env_or("LLMRUN_SMOLLM2_GGUF", cache + "/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
}

nlohmann::json golden() {
  std::ifstream in(testing::test_data("gguf/smollm2_golden.json"));
  return nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
}

class SmolLM2Gguf : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::path_exists(smollm2_path())) {
      if (testing::under_ci()) FAIL() << smollm2_path() << " missing: run scripts/fetch_smollm2.sh";
      GTEST_SKIP() << smollm2_path() << " missing: run scripts/fetch_smollm2.sh";
    }
  }
};

TEST_F(SmolLM2Gguf, TokenizerMatchesTransformersGgufConversion) {
  const auto tok = load_tokenizer(smollm2_path());
  const nlohmann::json g = golden();
  ASSERT_EQ(g["cases"].size(), 2u);
  for (const auto& c : g["cases"]) {
    std::vector<int32_t> want = c["ids"].get<std::vector<int32_t>>();
    // transformers' GGUF tokenizer conversion prepends BOS although the file says
    // tokenizer.ggml.add_bos_token = false; llama.cpp (and llmrun) obey the flag.
    ASSERT_EQ(want.front(), 1);
    want.erase(want.begin());
    EXPECT_EQ(tok->encode(c["prompt"].get<std::string>(), true), want) << c["prompt"];
  }
}

TEST_F(SmolLM2Gguf, LogitsAndGreedyMatchTransformers) {
  auto backend = make_backend({"cpu", 2});
  LoadedModel loaded = load_model(smollm2_path(), *backend, testing::quiet_load("auto"));
  DecoderModel& m = *loaded.model;
  const nlohmann::json g = golden();
  ASSERT_EQ(g["cases"].size(), 2u);
  for (const auto& c : g["cases"]) {
    const std::vector<int32_t> ids = c["ids"].get<std::vector<int32_t>>();
    const std::vector<int32_t> greedy = c["greedy"].get<std::vector<int32_t>>();
    const std::vector<float> ref = c["last_logits"].get<std::vector<float>>();
    KvCache cache = m.new_cache(int64_t(ids.size() + greedy.size()));
    std::vector<float> logits = m.forward(ids, cache);
    ASSERT_EQ(logits.size(), ref.size());
    float err = 0, scale = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      ASSERT_TRUE(std::isfinite(logits[i])) << i;
      err = std::max(err, std::abs(logits[i] - ref[i]));
      scale = std::max(scale, std::abs(ref[i]));
    }
    std::printf("[ measured ] smollm2 gguf prompt of %zu ids: max|diff| %.3g (max|ref| %.3g)\n", ids.size(), err, scale);
    // Same bound as the HF goldens (tests/model/test_golden_models.cpp): fp32 on both
    // sides from identical weights, differing only in summation order.
    EXPECT_LE(err, 1e-4f * scale);
    std::vector<int32_t> got;
    for (size_t k = 0; k < greedy.size(); ++k) {
      const int32_t next = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
      got.push_back(next);
      if (k + 1 < greedy.size()) logits = m.forward({next}, cache);
    }
    EXPECT_EQ(got, greedy) << c["prompt"];
  }
}

}  // namespace
}  // namespace llmrun
