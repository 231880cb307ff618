// A real GGUF end to end: SmolLM2-135M-Instruct Q4_1 (llama architecture, so q/k rows
// are permuted in the file; gpt2 tokenizer with the smollm pre-tokenizer; a ChatML chat
// template) against HF transformers 4.57.6 loading the same file in fp32
// (tests/data/gguf/smollm2_golden.json and smollm2_logit_rows.f32, from
// scripts/make_gguf_model_goldens.py, whose header describes every field). Needs the file
// from scripts/fetch_smollm2.sh: skipped without it, a failure under CI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "loaders/gguf.h"
#include "loaders/tokenizer/tokenizer.h"
#include "runtime/chat/chat_format.h"
#include "runtime/chat/detect_chat_format.h"
#include "runtime/model_loader.h"
#include "tests/model/golden.h"
#include "tests/quiet_load.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

// fp32 on both sides from identical (dequantized) weights, differing only in summation
// order: the bound of the HF goldens (tests/model/test_golden_models.cpp derives it),
// max|diff| <= 1e-4 * max|ref| over a logit row.
constexpr float kRelativeBound = 1e-4f;

std::string smollm2_path() { return testing::smollm2_gguf(); }

const nlohmann::json& golden() {
  static const nlohmann::json g = nlohmann::json::parse(testing::read_file(testing::test_data("gguf/smollm2_golden.json")));
  return g;
}

// The full last-position rows of the logits prompts: float32 little-endian [3, vocab].
std::vector<float> full_rows() {
  const std::string bytes = testing::read_file(testing::test_data("gguf/smollm2_logit_rows.f32"));
  std::vector<float> rows(bytes.size() / sizeof(float));
  std::memcpy(rows.data(), bytes.data(), rows.size() * sizeof(float));
  return rows;
}

std::vector<int32_t> ids_of(const nlohmann::json& j) { return j.get<std::vector<int32_t>>(); }

class SmolLM2Gguf : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::path_exists(smollm2_path())) {
      if (testing::under_ci()) FAIL() << smollm2_path() << " missing: run scripts/fetch_smollm2.sh";
      GTEST_SKIP() << smollm2_path() << " missing: run scripts/fetch_smollm2.sh";
    }
  }

  // One model for the whole suite (loading dequantizes 135M parameters).
  static DecoderModel& model() {
    static std::unique_ptr<Backend> backend = make_backend({"cpu", 2});
    static LoadedModel loaded = load_model(smollm2_path(), *backend, testing::quiet_load("auto"));
    return *loaded.model;
  }

  // 64 greedy ids after `ids`, argmax on the host at every step.
  static std::vector<int32_t> greedy(const std::vector<int32_t>& ids, size_t steps) {
    DecoderModel& m = model();
    KvCache cache = m.new_cache(int64_t(ids.size() + steps));
    std::vector<float> logits = m.forward(ids, cache);
    std::vector<int32_t> got;
    for (size_t k = 0; k < steps; ++k) {
      for (float x : logits) EXPECT_TRUE(std::isfinite(x)) << "step " << k;
      const int32_t next = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
      got.push_back(next);
      if (k + 1 < steps) logits = m.forward({next}, cache);
    }
    return got;
  }
};

TEST_F(SmolLM2Gguf, TokenizerMatchesTransformersGgufConversion) {
  const auto tok = load_tokenizer(smollm2_path());
  const auto& cases = golden().at("tokenizer");
  ASSERT_EQ(cases.size(), 2u);
  // The golden's ids are transformers' minus the BOS its GGUF conversion prepends although
  // the file says tokenizer.ggml.add_bos_token = false (llama.cpp and llmrun obey the flag).
  for (const auto& c : cases)
    EXPECT_EQ(tok->encode(c.at("text").get<std::string>(), true), ids_of(c.at("ids"))) << c.at("text");
  for (const auto& c : golden().at("greedy"))
    if (c.contains("prompt")) {
      EXPECT_EQ(tok->encode(c.at("prompt").get<std::string>(), true), ids_of(c.at("ids")));
    }
  for (const auto& c : golden().at("logits"))
    EXPECT_EQ(tok->encode(c.at("text").get<std::string>(), true), ids_of(c.at("ids"))) << c.at("text");
}

// The chat prompt as llmrun renders it (format detected from the GGUF's
// tokenizer.chat_template, then tokenized without added specials) equals
// transformers' apply_chat_template(tokenize=True, add_generation_prompt=True).
TEST_F(SmolLM2Gguf, ChatPromptMatchesApplyChatTemplate) {
  const auto file = GgufFile::open(smollm2_path());
  const chat::ChatFormatDetection d = chat::detect_chat_format(file->get_string("tokenizer.chat_template"));
  EXPECT_EQ(d.note, "");
  const auto tok = load_tokenizer(smollm2_path());
  int checked = 0;
  for (const auto& c : golden().at("greedy")) {
    if (!c.contains("messages")) continue;
    std::vector<chat::Message> messages;
    for (const auto& m : c.at("messages")) messages.push_back({m.at("role"), m.at("content")});
    EXPECT_EQ(tok->encode(chat::render_chat(d.format, messages), false), ids_of(c.at("ids")));
    ++checked;
  }
  EXPECT_EQ(checked, 1);
}

TEST_F(SmolLM2Gguf, Greedy64MatchesTransformers) {
  const auto& cases = golden().at("greedy");
  ASSERT_EQ(cases.size(), 2u);  // a plain prompt and a chat prompt
  for (const auto& c : cases) {
    const std::vector<int32_t> want = ids_of(c.at("greedy"));
    ASSERT_EQ(want.size(), 64u);
    EXPECT_EQ(greedy(ids_of(c.at("ids")), want.size()), want) << c.at("name");
  }
}

// Three prompts of 80-156 tokens, every position: the reference's top-10 logits within
// the bound, the same set of 10 (no other logit above the 10th by more than the bound),
// the same top-1 where the reference's gap to the 2nd exceeds twice the bound; the last
// position's full row within the bound.
TEST_F(SmolLM2Gguf, LogitsOfEveryPositionMatchTransformers) {
  DecoderModel& m = model();
  const auto& cases = golden().at("logits");
  ASSERT_EQ(cases.size(), 3u);
  const size_t vocab = golden().at("vocab").get<size_t>();
  const std::vector<float> rows = full_rows();
  ASSERT_EQ(rows.size(), cases.size() * vocab);
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    const auto& c = cases[ci];
    const std::vector<int32_t> ids = ids_of(c.at("ids"));
    const auto top_ids = c.at("top_ids").get<std::vector<std::vector<int32_t>>>();
    const auto top_values = c.at("top_values").get<std::vector<std::vector<float>>>();
    const auto max_abs = c.at("max_abs").get<std::vector<float>>();
    ASSERT_EQ(top_ids.size(), ids.size());
    ASSERT_EQ(max_abs.size(), ids.size());
    KvCache cache = m.new_cache(int64_t(ids.size()));
    const std::vector<float> logits = m.forward(ids, cache, LogitRows::all);  // [n, vocab]
    ASSERT_EQ(logits.size(), ids.size() * vocab);
    float worst = 0;  // max over positions of max|diff| / max|ref| on the top-10
    for (size_t p = 0; p < ids.size(); ++p) {
      const float* row = logits.data() + p * vocab;
      const float bound = kRelativeBound * max_abs[p];
      float err = 0;
      for (size_t k = 0; k < top_ids[p].size(); ++k) {
        const float got = row[top_ids[p][k]];
        err = std::isfinite(got) ? std::max(err, std::abs(got - top_values[p][k])) : INFINITY;
      }
      worst = std::max(worst, err / max_abs[p]);
      EXPECT_LE(err, bound) << "prompt " << ci << " position " << p;
      float outside = -INFINITY;  // the largest logit outside the reference's top-10
      for (size_t v = 0; v < vocab; ++v) {
        if (!std::isfinite(row[v])) outside = INFINITY;
        if (std::find(top_ids[p].begin(), top_ids[p].end(), int32_t(v)) == top_ids[p].end())
          outside = std::max(outside, row[v]);
      }
      EXPECT_LE(outside, top_values[p].back() + bound) << "prompt " << ci << " position " << p;
      if (top_values[p][0] - top_values[p][1] > 2 * bound) {
        EXPECT_EQ(int32_t(std::max_element(row, row + vocab) - row), top_ids[p][0]) << "prompt " << ci << " position " << p;
      }
    }
    const std::vector<float> last(logits.end() - std::ptrdiff_t(vocab), logits.end());
    const std::vector<float> ref(rows.begin() + std::ptrdiff_t(ci * vocab), rows.begin() + std::ptrdiff_t((ci + 1) * vocab));
    const float err = testing::max_abs_diff(last, ref), scale = testing::max_abs(ref);
    std::printf("[ measured ] smollm2 gguf prompt %zu (%zu ids): top-10 of every position max|diff|/max|ref| %.3g; "
                "last row max|diff| %.3g (max|ref| %.3g)\n", ci, ids.size(), worst, err, scale);
    EXPECT_LE(err, kRelativeBound * scale) << "prompt " << ci;
  }
}

}  // namespace
}  // namespace llmrun
