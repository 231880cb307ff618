// measure_importance against transformers: qwen3-tiny's golden holds HF's hidden states for
// its prompt, so the inputs of the q/k/v projections (RMSNorm of the residual entering
// each layer, times the layer's gain) and of the tied LM head (HF's final norm output) are
// known without our forward pass.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "eval/importance.h"
#include "runtime/error.h"
#include "tests/model/golden.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

using testing::max_abs;
using testing::max_abs_diff;

// Mean over rows of x[r][j]^2 for x [rows, cols] (double sums).
std::vector<float> column_mean_squares(const std::vector<float>& x, int64_t cols) {
  const int64_t rows = int64_t(x.size()) / cols;
  std::vector<double> sum(static_cast<size_t>(cols), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) sum[size_t(j)] += double(x[size_t(r * cols + j)]) * x[size_t(r * cols + j)];
  std::vector<float> out(static_cast<size_t>(cols));
  for (int64_t j = 0; j < cols; ++j) out[size_t(j)] = float(sum[size_t(j)] / double(rows));
  return out;
}

// RMSNorm(x) * gain, row by row, in double.
std::vector<float> rmsnorm_rows(const std::vector<float>& x, const std::vector<float>& gain, double eps) {
  const size_t cols = gain.size();
  std::vector<float> out(x.size());
  for (size_t r = 0; r < x.size() / cols; ++r) {
    double ms = 0.0;
    for (size_t j = 0; j < cols; ++j) ms += double(x[r * cols + j]) * x[r * cols + j];
    const double inv = 1.0 / std::sqrt(ms / double(cols) + eps);
    for (size_t j = 0; j < cols; ++j) out[r * cols + j] = float(double(x[r * cols + j]) * inv * gain[j]);
  }
  return out;
}

TEST(MeasureImportance, MatchesTransformersHiddenStates) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  const ModelConfig c = config_of_model(g.dir);
  auto backend = make_backend({"cpu", 1});
  const ImportanceMatrix m = eval::measure_importance(g.dir, *backend, g.prompt_ids, 64);
  EXPECT_EQ(m.tokens, int64_t(g.prompt_ids.size()));
  // Every weight matrix: 7 per layer and the tied embedding as LM head.
  EXPECT_EQ(m.by_weight.size(), size_t(7 * c.num_layers + 1));

  const auto checkpoint = Checkpoint::open_dir(g.dir);
  // The golden's hidden states are fp32 transformers runs of the bf16 weights; ours agree
  // with them to 1e-4 relative (test_golden_models), squares to about twice that.
  auto expect_close = [&](const std::string& name, const std::vector<float>& want) {
    ASSERT_TRUE(m.by_weight.count(name)) << name;
    const std::vector<float>& got = m.by_weight.at(name);
    EXPECT_LE(max_abs_diff(got, want), 3e-4f * max_abs(want)) << name;
  };
  expect_close("model.embed_tokens.weight", column_mean_squares(g.get("final_norm"), c.hidden_size));
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    const std::vector<float> residual = g.get(l == 0 ? "embed" : "layer." + std::to_string(l - 1));
    const std::vector<float> gain = to_f32(checkpoint.get(p + "input_layernorm.weight"));
    const std::vector<float> want = column_mean_squares(rmsnorm_rows(residual, gain, c.rms_norm_eps), c.hidden_size);
    expect_close(p + "self_attn.q_proj.weight", want);
    // k and v read the same activations as q: the same sums, bit for bit.
    EXPECT_EQ(m.by_weight.at(p + "self_attn.k_proj.weight"), m.by_weight.at(p + "self_attn.q_proj.weight"));
    EXPECT_EQ(m.by_weight.at(p + "self_attn.v_proj.weight"), m.by_weight.at(p + "self_attn.q_proj.weight"));
    EXPECT_EQ(m.by_weight.at(p + "mlp.up_proj.weight"), m.by_weight.at(p + "mlp.gate_proj.weight"));
    EXPECT_EQ(m.by_weight.at(p + "self_attn.o_proj.weight").size(), size_t(c.num_heads * c.head_dim));
    EXPECT_EQ(m.by_weight.at(p + "mlp.down_proj.weight").size(), size_t(c.intermediate_size));
  }
}

// Windows split the text; each starts on a fresh cache, so the means are those of the
// windows' own activations: two windows of the prompt repeated equal one window of it.
TEST(MeasureImportance, WindowsAreIndependentPasses) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  auto backend = make_backend({"cpu", 1});
  std::vector<int32_t> twice = g.prompt_ids;
  twice.insert(twice.end(), g.prompt_ids.begin(), g.prompt_ids.end());
  const ImportanceMatrix one = eval::measure_importance(g.dir, *backend, g.prompt_ids, 64);
  const ImportanceMatrix two = eval::measure_importance(g.dir, *backend, twice, int64_t(g.prompt_ids.size()));
  EXPECT_EQ(two.tokens, 2 * one.tokens);
  for (const auto& [name, v] : one.by_weight)
    EXPECT_LE(max_abs_diff(two.by_weight.at(name), v), 1e-6f * max_abs(v)) << name;
  EXPECT_NE(testing::error_of([&] { eval::measure_importance(g.dir, *backend, {}, 64); }).find("no calibration tokens"),
            std::string::npos);
}

// Self-sampled calibration records what a pass over the same tokens records: each sample
// starts on a fresh cache from the start token, and every fed token is counted once.
// llama-tiny starts from its BOS token; a copy of qwen3-tiny without one, from its EOS.
TEST(MeasureImportance, SelfSampledEqualsAPassOverTheSampledTokens) {
  namespace fs = std::filesystem;
  const fs::path no_bos = fs::path(::testing::TempDir()) / ("llmrun_no_bos_" + std::to_string(::getpid()));
  fs::remove_all(no_bos);
  fs::copy(testing::test_data("models/qwen3-tiny"), no_bos);
  for (const char* file : {"config.json", "generation_config.json"}) {
    nlohmann::json j = nlohmann::json::parse(testing::read_file((no_bos / file).string()));
    j.erase("bos_token_id");
    std::ofstream((no_bos / file).string()) << j.dump();
  }
  for (const std::string& dir : {testing::test_data("models/llama-tiny"), no_bos.string()}) {
    const std::string& name = dir;
    const ModelConfig c = config_of_model(dir);
    auto backend = make_backend({"cpu", 1});
    eval::SelfCalibration o;
    o.tokens = 48;
    o.context = 32;
    o.seed = 7;
    std::vector<std::vector<int32_t>> fed;
    const ImportanceMatrix self = eval::measure_importance_self(dir, *backend, o, nullptr, &fed);
    EXPECT_EQ(self.tokens, o.tokens) << name;
    ASSERT_GE(fed.size(), 2u) << name;  // samples of at most 31 fed tokens
    EXPECT_NE(fed[0], fed[1]) << name;  // sampled, not greedy
    EXPECT_EQ(c.bos_token_id.has_value(), dir != no_bos.string()) << name;
    const int32_t start = c.bos_token_id ? *c.bos_token_id : c.eos_token_ids.at(0);
    std::map<std::string, std::vector<double>> sums;
    int64_t total = 0;
    for (const std::vector<int32_t>& sample : fed) {
      ASSERT_FALSE(sample.empty());
      EXPECT_EQ(sample.front(), start) << name;
      EXPECT_LE(int64_t(sample.size()), o.context - 1) << name;
      const ImportanceMatrix pass = eval::measure_importance(dir, *backend, sample, int64_t(sample.size()));
      for (const auto& [weight, v] : pass.by_weight) {
        std::vector<double>& s = sums[weight];
        s.resize(v.size());
        for (size_t j = 0; j < v.size(); ++j) s[j] += double(v[j]) * double(sample.size());
      }
      total += int64_t(sample.size());
    }
    EXPECT_EQ(total, o.tokens) << name;
    ASSERT_EQ(sums.size(), self.by_weight.size()) << name;
    for (const auto& [weight, s] : sums) {
      std::vector<float> want(s.size());
      for (size_t j = 0; j < s.size(); ++j) want[j] = float(s[j] / double(total));
      // One token at a time against one batch: the same math, rounded apart in places.
      EXPECT_LE(max_abs_diff(self.by_weight.at(weight), want), 1e-4f * max_abs(want)) << name << " " << weight;
    }
  }
  fs::remove_all(no_bos);
}

// The probe: uniformly random ordinary ids, run as windows of o.context tokens. A folder
// without a tokenizer draws from all ids but BOS/EOS; SmolLM2's GGUF (when fetched) from
// its tokenizer's ordinary ids.
TEST(MeasureImportance, ProbeIsAPassOverRandomOrdinaryIds) {
  const std::string dir = testing::test_data("models/llama-tiny");
  const ModelConfig c = config_of_model(dir);
  eval::ProbeCalibration o;
  o.tokens = 4096;  // every ordinary id drawn (each missed with odds e^-8)
  o.seed = 3;
  const std::vector<int32_t> many = eval::probe_ids(dir, c, o);
  ASSERT_EQ(many.size(), 4096u);
  const std::set<int32_t> drawn(many.begin(), many.end());
  std::set<int32_t> special(c.eos_token_ids.begin(), c.eos_token_ids.end());
  if (c.bos_token_id) special.insert(*c.bos_token_id);
  ASSERT_FALSE(special.empty());
  for (int32_t id : special) EXPECT_EQ(drawn.count(id), 0u) << id;
  EXPECT_GE(drawn.size(), size_t(c.vocab_size) - special.size() - 2);
  EXPECT_GE(*drawn.begin(), 0);
  EXPECT_LT(*drawn.rbegin(), c.vocab_size);
  o.tokens = 96;
  o.context = 32;
  const std::vector<int32_t> ids = eval::probe_ids(dir, c, o);
  EXPECT_EQ(ids, std::vector<int32_t>(many.begin(), many.begin() + 96));  // one stream per seed
  o.seed = 4;
  EXPECT_NE(eval::probe_ids(dir, c, o), ids);
  o.seed = 3;

  auto backend = make_backend({"cpu", 1});
  const ImportanceMatrix probe = eval::measure_importance_probe(dir, *backend, o);
  const ImportanceMatrix pass = eval::measure_importance(dir, *backend, ids, 32);
  EXPECT_EQ(probe.tokens, 96);
  ASSERT_EQ(probe.by_weight.size(), pass.by_weight.size());
  for (const auto& [name, v] : pass.by_weight) EXPECT_EQ(probe.by_weight.at(name), v) << name;
}

// With a tokenizer (Qwen3's: 151,669 ids, the model's embedding 151,936 rows), the probe
// draws neither its special tokens (tokenizer.json's added tokens marked special) nor the
// embedding rows past the tokenizer, which no text reaches.
TEST(MeasureImportance, ProbeDrawsTheTokenizersOrdinaryIds) {
  LLMRUN_REQUIRE_FIXTURE(dir, "tokenizers/qwen3");
  const nlohmann::json j = nlohmann::json::parse(testing::read_file(dir + "/tokenizer.json"));
  std::set<int32_t> special;
  for (const auto& t : j.at("added_tokens"))
    if (t.at("special").get<bool>()) special.insert(t.at("id").get<int32_t>());
  ASSERT_GE(special.size(), 10u);
  ModelConfig c;
  c.vocab_size = 151936;
  eval::ProbeCalibration o;
  o.tokens = 20000;
  const std::vector<int32_t> ids = eval::probe_ids(dir, c, o);
  ASSERT_EQ(ids.size(), 20000u);
  int64_t high = 0;
  for (int32_t id : ids) {
    ASSERT_TRUE(id >= 0 && id < 151669) << id;
    ASSERT_EQ(special.count(id), 0u) << id;
    high += id >= 140000;
  }
  EXPECT_GE(high, 1000);  // about 1,540 expected: the draws span the vocabulary
}

// --imatrix auto names the probe only where a matrix weighs something: a group-scaled
// format (named, mixed, overridden or an auto: budget) of an original checkpoint.
TEST(MeasureImportance, AutoMeansTheProbeWhereAFormatWeighsIt) {
  const std::string dir = testing::test_data("models/llama-tiny");
  auto resolve = [&](std::vector<std::string> precisions, std::vector<std::string> overrides = {}) {
    return eval::resolve_imatrix("auto", dir, precisions, overrides);
  };
  EXPECT_EQ(resolve({"fp6"}), "probe");
  EXPECT_EQ(resolve({"int8"}), "probe");
  EXPECT_EQ(resolve({"fp16", "fp8-g64"}), "probe");
  EXPECT_EQ(resolve({"mixed:attn=fp16,mlp=fp16,down=fp6"}), "probe");
  EXPECT_EQ(resolve({"fp16"}, {"q_proj=int8"}), "probe");
  EXPECT_EQ(resolve({"auto:bits=7"}), "probe");
  EXPECT_EQ(resolve({"auto"}), "");
  EXPECT_EQ(resolve({"fp16", "bf16", "fp32"}), "");
  EXPECT_EQ(resolve({"int8-row", "fp8-row", "fp6-e3m2", "fp6-e2m3"}), "");
  EXPECT_EQ(resolve({}), "");
  EXPECT_EQ(eval::resolve_imatrix("none", dir, {"fp6"}), "");
  EXPECT_EQ(eval::resolve_imatrix("probe", dir, {"fp16"}), "probe");
  EXPECT_EQ(eval::resolve_imatrix("m.safetensors", dir, {"fp16"}), "m.safetensors");

  namespace fs = std::filesystem;
  const fs::path q = fs::path(::testing::TempDir()) / ("llmrun_auto_q_" + std::to_string(::getpid()));
  LoadOptions load;
  load.precision = "fp6";
  quantize_checkpoint(dir, q.string(), load);
  EXPECT_EQ(eval::resolve_imatrix("auto", q.string(), {"auto"}), "");
  EXPECT_EQ(eval::resolve_imatrix("auto", q.string(), {"fp6"}), "");  // nothing left to weigh
  fs::remove_all(q);
}

}  // namespace
}  // namespace llmrun
