// config.json parsing and the loader's refusals: each bad input gets a one-line error
// that names the file, key or tensor.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "loaders/hf_config.h"
#include "loaders/safetensors.h"
#include "runtime/error.h"
#include "runtime/model_loader.h"
#include "runtime/rope_frequencies.h"
#include "tests/test_support.h"
#include "tests/quiet_load.h"

namespace llmrun {
namespace {

namespace fs = std::filesystem;

using ::llmrun::testing::error_of;

const char* kLlamaConfig = R"({"architectures":["LlamaForCausalLM"],"hidden_size":64,
  "intermediate_size":172,"num_hidden_layers":5,"num_attention_heads":8,
  "num_key_value_heads":4,"vocab_size":512,"rms_norm_eps":1e-5,"torch_dtype":"float32"})";

TEST(ModelConfig, DerivesHeadDimAndDefaults) {
  const ModelConfig c = parse_model_config(kLlamaConfig, "config.json");
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.num_kv_heads, 4);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_FALSE(c.qk_norm);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_FALSE(c.rope_scaling.has_value());
}

TEST(ModelConfig, ArchitectureSwitches) {
  auto with_arch = [](const std::string& arch) {
    std::string j = kLlamaConfig;
    j.replace(j.find("LlamaForCausalLM"), 16, arch);
    return parse_model_config(j, "config.json");
  };
  EXPECT_TRUE(with_arch("Qwen3ForCausalLM").qk_norm);
  EXPECT_TRUE(with_arch("Qwen2ForCausalLM").qkv_bias);
  EXPECT_FALSE(with_arch("Qwen2ForCausalLM").o_bias);
  EXPECT_FALSE(with_arch("MistralForCausalLM").qkv_bias);
}

TEST(ModelConfig, EosAsListAndDtypeKey) {
  const ModelConfig c = parse_model_config(
      R"({"architectures":["Qwen3ForCausalLM"],"hidden_size":64,"intermediate_size":96,
      "num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":32,
      "vocab_size":10,"eos_token_id":[3,7],"bos_token_id":null,"dtype":"bfloat16"})",
      "c.json");
  EXPECT_EQ(c.eos_token_ids, (std::vector<int32_t>{3, 7}));
  EXPECT_FALSE(c.bos_token_id.has_value());
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_EQ(c.head_dim, 32);
}

TEST(ModelConfig, SlidingWindowOnlyWhenUsed) {
  std::string mistral = kLlamaConfig;
  mistral.replace(mistral.find("LlamaForCausalLM"), 16, "MistralForCausalLM");
  mistral.insert(1, "\"sliding_window\":4096,");
  EXPECT_EQ(parse_model_config(mistral, "c.json").sliding_window.value_or(0), 4096);
  std::string qwen2 = kLlamaConfig;
  qwen2.replace(qwen2.find("LlamaForCausalLM"), 16, "Qwen2ForCausalLM");
  qwen2.insert(1, "\"sliding_window\":4096,\"use_sliding_window\":false,");
  EXPECT_FALSE(parse_model_config(qwen2, "c.json").sliding_window.has_value());
  std::string none = kLlamaConfig;
  none.insert(1, "\"sliding_window\":null,");
  EXPECT_FALSE(parse_model_config(none, "c.json").sliding_window.has_value());
}

TEST(ModelConfig, UnknownArchitectureListsSupported) {
  std::string j = kLlamaConfig;
  j.replace(j.find("LlamaForCausalLM"), 16, "GPT2LMHeadModel");
  const std::string e = error_of([&] { parse_model_config(j, "m/config.json"); });
  EXPECT_NE(e.find("m/config.json"), std::string::npos) << e;
  EXPECT_NE(e.find("GPT2LMHeadModel"), std::string::npos) << e;
  EXPECT_NE(e.find("Qwen3ForCausalLM"), std::string::npos) << e;
}

TEST(ModelConfig, BadInputsNameFileAndKey) {
  EXPECT_NE(error_of([] { parse_model_config("{not json", "x/config.json"); }).find("x/config.json: malformed JSON"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_model_config("[1]", "c.json"); }).find("JSON object"), std::string::npos);
  std::string missing = kLlamaConfig;
  missing.replace(missing.find("\"vocab_size\":512,"), 17, "");
  EXPECT_NE(error_of([&] { parse_model_config(missing, "c.json"); }).find("missing \"vocab_size\""),
            std::string::npos);
  std::string wrong_type = kLlamaConfig;
  wrong_type.replace(wrong_type.find("\"hidden_size\":64"), 16, "\"hidden_size\":\"64\"");
  EXPECT_NE(error_of([&] { parse_model_config(wrong_type, "c.json"); }).find("\"hidden_size\" has the wrong type"),
            std::string::npos);
  std::string bad_gqa = kLlamaConfig;
  bad_gqa.replace(bad_gqa.find("\"num_key_value_heads\":4"), 23, "\"num_key_value_heads\":3");
  EXPECT_NE(error_of([&] { parse_model_config(bad_gqa, "c.json"); }).find("not a multiple"), std::string::npos);
  EXPECT_NE(error_of([] { load_model_config("/nonexistent/config.json"); }).find("/nonexistent/config.json"),
            std::string::npos);
}

// Independent reference: HF's _compute_llama3_parameters, evaluated by hand for
// theta 500000, head_dim 64, factor 8, low 1, high 4, original context 64.
TEST(RopeFrequencies, Llama3BandsFollowTransformers) {
  ModelConfig c = parse_model_config(kLlamaConfig, "c.json");
  c.head_dim = 64;
  c.rope_theta = 500000.0;
  c.rope_scaling = Llama3RopeScaling{8.0, 1.0, 4.0, 64};
  const std::vector<float> f = rope_inverse_frequencies(c);
  ASSERT_EQ(f.size(), 32u);
  for (size_t i = 0; i < f.size(); ++i) {
    const double base = 1.0 / std::pow(500000.0, double(2 * i) / 64.0);
    const double wavelen = 2 * M_PI / base;
    double want = base;
    if (wavelen > 64.0) want = base / 8.0;                 // low frequencies: slowed 8x
    else if (wavelen >= 16.0) {                             // the blended band
      const double s = (64.0 / wavelen - 1.0) / 3.0;
      want = (1 - s) * base / 8.0 + s * base;
    }
    EXPECT_NEAR(f[i], want, 1e-6 * want) << i;
  }
  EXPECT_FLOAT_EQ(f[0], 1.0f);  // the highest frequency is untouched
}

// A throwaway checkpoint folder built from stories260k's config with edits.
class BrokenCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("llmrun_broken_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_text(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  // A 1-layer Llama with the given tensors replaced/removed.
  void write_model(const std::map<std::string, std::vector<int64_t>>& shape_override = {},
                   const std::string& drop = "", bool nan = false) {
    write_text("config.json", R"({"architectures":["LlamaForCausalLM"],"hidden_size":8,
      "intermediate_size":12,"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,
      "vocab_size":16,"tie_word_embeddings":true,"torch_dtype":"float32"})");
    std::map<std::string, std::vector<int64_t>> shapes = {
        {"model.embed_tokens.weight", {16, 8}}, {"model.norm.weight", {8}},
        {"model.layers.0.input_layernorm.weight", {8}}, {"model.layers.0.post_attention_layernorm.weight", {8}},
        {"model.layers.0.self_attn.q_proj.weight", {8, 8}}, {"model.layers.0.self_attn.k_proj.weight", {4, 8}},
        {"model.layers.0.self_attn.v_proj.weight", {4, 8}}, {"model.layers.0.self_attn.o_proj.weight", {8, 8}},
        {"model.layers.0.mlp.gate_proj.weight", {12, 8}}, {"model.layers.0.mlp.up_proj.weight", {12, 8}},
        {"model.layers.0.mlp.down_proj.weight", {8, 12}}};
    for (auto& [k, v] : shape_override) shapes[k] = v;
    std::vector<TensorToWrite> tensors;
    for (auto& [name, shape] : shapes) {
      if (name == drop) continue;
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      std::vector<float> values(size_t(n), 0.01f);
      if (nan && name == "model.layers.0.mlp.up_proj.weight") values[5] = NAN;
      TensorToWrite t{name, DType::f32, shape, std::vector<uint8_t>(size_t(n) * 4)};
      std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
      tensors.push_back(std::move(t));
    }
    write_safetensors((dir_ / "model.safetensors").string(), tensors);
  }
  std::string load_error() {
    auto backend = make_backend({"cpu", 1});
    return error_of([&] { load_model(dir_.string(), *backend, testing::quiet_load("auto")); });
  }
  fs::path dir_;
};

TEST_F(BrokenCheckpoint, ValidOneLoads) {
  write_model();
  EXPECT_EQ(load_error(), "(no error)");
}

TEST_F(BrokenCheckpoint, MissingTensorIsNamed) {
  write_model({}, "model.layers.0.self_attn.k_proj.weight");
  const std::string e = load_error();
  EXPECT_NE(e.find("missing tensor model.layers.0.self_attn.k_proj.weight"), std::string::npos) << e;
}

TEST_F(BrokenCheckpoint, WrongShapeSaysExpected) {
  write_model({{"model.layers.0.self_attn.q_proj.weight", {6, 8}}});
  const std::string e = load_error();
  EXPECT_NE(e.find("model.layers.0.self_attn.q_proj.weight: shape [6,8], expected [8,8]"), std::string::npos) << e;
}

TEST_F(BrokenCheckpoint, NanWeightIsALoadError) {
  write_model({}, "", /*nan=*/true);
  const std::string e = load_error();
  EXPECT_NE(e.find("model.layers.0.mlp.up_proj.weight: non-finite value"), std::string::npos) << e;
}

TEST_F(BrokenCheckpoint, TruncatedFileIsNamed) {
  write_model();
  const fs::path file = dir_ / "model.safetensors";
  fs::resize_file(file, fs::file_size(file) - 100);
  const std::string e = load_error();
  EXPECT_NE(e.find("model.safetensors"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
}

TEST_F(BrokenCheckpoint, MissingConfigIsNamed) {
  write_model();
  fs::remove(dir_ / "config.json");
  EXPECT_NE(load_error().find("config.json"), std::string::npos);
}

TEST_F(BrokenCheckpoint, UnusedTensorIsReported) {
  write_model({{"model.layers.0.extra.weight", {2}}});
  auto backend = make_backend({"cpu", 1});
  std::vector<std::string> log;
  load_model(dir_.string(), *backend, testing::quiet_load("auto", [&](const std::string& l) { log.push_back(l); }));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("model.layers.0.extra.weight is not used"), std::string::npos) << log[0];
}

}  // namespace
}  // namespace llmrun
