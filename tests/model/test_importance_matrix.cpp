// Importance matrices: the file (written, read back, refused when malformed) and the loader
// (weights the group-scaled encodings it names; one made for another model is an error).
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "loaders/safetensors.h"
#include "loaders/sha256.h"
#include "runtime/error.h"
#include "runtime/importance_matrix.h"
#include "runtime/model_loader.h"
#include "runtime/quantized_checkpoint.h"
#include "tests/model/golden.h"
#include "tests/quiet_load.h"

namespace llmrun {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

class ImportanceFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("llmrun_imatrix_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// Every weight matrix of qwen3-tiny with importances 1 + j / cols (cols from the table).
ImportanceMatrix tiny_importance(const ModelConfig& c) {
  ImportanceMatrix m;
  m.tokens = 7;
  auto add = [&](const std::string& name, int64_t cols) {
    std::vector<float>& v = m.by_weight[name];
    for (int64_t j = 0; j < cols; ++j) v.push_back(1.0f + float(j) / float(cols));
  };
  add("model.embed_tokens.weight", c.hidden_size);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (const char* t : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"})
      add(p + t + ".weight", c.hidden_size);
    add(p + "self_attn.o_proj.weight", c.num_heads * c.head_dim);
    add(p + "mlp.down_proj.weight", c.intermediate_size);
  }
  return m;
}

TEST_F(ImportanceFile, WrittenAndReadBack) {
  ImportanceMatrix m;
  m.tokens = 4096;
  m.by_weight["a.weight"] = {0.0f, 1.5f, 2e-7f};
  m.by_weight["b.weight"] = {3.0f};
  write_importance_matrix(path("m.safetensors"), m, {{"llmrun.model", "x"}});
  const ImportanceMatrix r = read_importance_matrix(path("m.safetensors"));
  EXPECT_EQ(r.tokens, 4096);
  EXPECT_EQ(r.by_weight, m.by_weight);
  EXPECT_EQ(r.path, path("m.safetensors"));
}

TEST_F(ImportanceFile, RefusesOtherFilesAndBadValues) {
  std::vector<uint8_t> one(4);
  const float f1 = 1.0f;
  std::memcpy(one.data(), &f1, 4);
  write_safetensors(path("plain.safetensors"), {{"a.weight", DType::f32, {1}, one}});
  EXPECT_NE(error_of([&] { read_importance_matrix(path("plain.safetensors")); }).find("not an importance matrix"),
            std::string::npos);

  const std::map<std::string, std::string> marker = {{kImportanceMarkerKey, kImportanceMarker}};
  for (const float bad : {-1.0f, std::nanf(""), INFINITY}) {
    std::vector<uint8_t> b(8, 0);
    std::memcpy(b.data() + 4, &bad, 4);
    write_safetensors(path("bad.safetensors"), {{"q.weight", DType::f32, {2}, b}}, marker);
    const std::string e = error_of([&] { read_importance_matrix(path("bad.safetensors")); });
    EXPECT_NE(e.find("q.weight: value"), std::string::npos) << e;
    EXPECT_NE(e.find("at input 1"), std::string::npos) << e;
  }
  write_safetensors(path("shape.safetensors"), {{"q.weight", DType::f32, {1, 1}, one}}, marker);
  EXPECT_NE(error_of([&] { read_importance_matrix(path("shape.safetensors")); }).find("q.weight: F32 [1,1], expected F32 [cols]"),
            std::string::npos);
  write_safetensors(path("empty.safetensors"), {}, marker);
  EXPECT_NE(error_of([&] { read_importance_matrix(path("empty.safetensors")); }).find("without tensors"), std::string::npos);
  EXPECT_NE(error_of([&] { read_importance_matrix(path("missing.safetensors")); }).find("missing.safetensors"),
            std::string::npos);
}

std::vector<float> logits_with(const std::string& dir, const std::string& precision, const ImportanceMatrix* m,
                               const std::vector<int32_t>& ids, LoadSummary* summary = nullptr) {
  auto backend = make_backend({"cpu", 1});
  LoadOptions o = testing::quiet_load(precision);
  o.importance = m;
  LoadedModel loaded = load_model(dir, *backend, o);
  if (summary) *summary = loaded.summary;
  KvCache cache = loaded.model->new_cache(int64_t(ids.size()));
  return loaded.model->forward(ids, cache, LogitRows::all);
}

TEST(ImportanceLoad, WeightsEveryGroupScaledMatrixItNames) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  const ModelConfig c = config_of_model(g.dir);
  const ImportanceMatrix m = tiny_importance(c);
  LoadSummary with;
  const std::vector<float> a = logits_with(g.dir, "fp6", &m, g.prompt_ids, &with);
  const std::vector<float> b = logits_with(g.dir, "fp6", nullptr, g.prompt_ids);
  // `fp6` leaves the embedding at the checkpoint's dtype: the 21 linear weights.
  EXPECT_EQ(with.importance_weighted, 7 * c.num_layers);
  EXPECT_NE(a, b) << "the importance changed no scale";
  EXPECT_NE(with.describe().find("importance-weighted scales: 21 tensors"), std::string::npos) << with.describe();
  LoadSummary emb;
  logits_with(g.dir, "mixed:attn=fp6,mlp=fp6,embed=fp6", &m, g.prompt_ids, &emb);
  EXPECT_EQ(emb.importance_weighted, 7 * c.num_layers + 1);
}

TEST(ImportanceLoad, PerRowFormatsIgnoreItAndSaySo) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  const ImportanceMatrix m = tiny_importance(config_of_model(g.dir));
  std::vector<std::string> logged;
  auto backend = make_backend({"cpu", 1});
  LoadOptions o = testing::quiet_load("int8-row", [&](const std::string& line) { logged.push_back(line); });
  o.importance = &m;
  const LoadedModel loaded = load_model(g.dir, *backend, o);
  EXPECT_EQ(loaded.summary.importance_weighted, 0);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("changed nothing"), std::string::npos) << logged[0];
}

TEST(ImportanceLoad, AMatrixOfAnotherModelIsAnError) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  const ModelConfig c = config_of_model(g.dir);
  ImportanceMatrix unknown = tiny_importance(c);
  unknown.path = "other.safetensors";
  unknown.by_weight["model.layers.9.mlp.up_proj.weight"] = std::vector<float>(size_t(c.hidden_size), 1.0f);
  std::string e = error_of([&] { logits_with(g.dir, "fp6", &unknown, g.prompt_ids); });
  EXPECT_NE(e.find("--imatrix other.safetensors: model.layers.9.mlp.up_proj.weight is not a weight matrix"),
            std::string::npos) << e;

  ImportanceMatrix norm = tiny_importance(c);
  norm.by_weight["model.norm.weight"] = std::vector<float>(size_t(c.hidden_size), 1.0f);
  e = error_of([&] { logits_with(g.dir, "fp6", &norm, g.prompt_ids); });
  EXPECT_NE(e.find("model.norm.weight is not a weight matrix"), std::string::npos) << e;

  ImportanceMatrix narrow = tiny_importance(c);
  narrow.by_weight["model.layers.1.mlp.down_proj.weight"].pop_back();
  e = error_of([&] { logits_with(g.dir, "fp6", &narrow, g.prompt_ids); });
  EXPECT_NE(e.find("model.layers.1.mlp.down_proj.weight: 95 inputs, but the weight has 96"), std::string::npos) << e;
}

TEST_F(ImportanceFile, AQuantizedCheckpointRefusesIt) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  write_importance_matrix(path("m.safetensors"), tiny_importance(config_of_model(g.dir)));
  const ImportanceMatrix m = read_importance_matrix(path("m.safetensors"));
  const std::string q = path("q");
  LoadOptions o = testing::quiet_load("fp6");
  o.importance = &m;
  quantize_checkpoint(g.dir, q, o);
  const auto file = SafetensorsFile::open(q + "/model.safetensors");
  ASSERT_EQ(file->metadata().count(kImportanceHashKey), 1u);
  EXPECT_EQ(file->metadata().at(kImportanceHashKey), sha256_file(path("m.safetensors")));
  const std::string e = error_of([&] { logits_with(q, "auto", &m, g.prompt_ids); });
  EXPECT_NE(e.find("already quantized; --imatrix applies to original checkpoints only"), std::string::npos) << e;
}

}  // namespace
}  // namespace llmrun
