// config.json parsing and the loader's refusals: each bad input gets a one-line error
// that names the file, key or tensor.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "loaders/gguf.h"
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
  EXPECT_EQ(c.rope_scaling.type, RopeType::none);
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
  EXPECT_NE(error_of([&] { parse_model_config(wrong_type, "c.json"); }).find("\"hidden_size\" must be an integer"),
            std::string::npos);
  std::string bad_gqa = kLlamaConfig;
  bad_gqa.replace(bad_gqa.find("\"num_key_value_heads\":4"), 23, "\"num_key_value_heads\":3");
  EXPECT_NE(error_of([&] { parse_model_config(bad_gqa, "c.json"); }).find("not a multiple"), std::string::npos);
  EXPECT_NE(error_of([] { load_model_config("/nonexistent/config.json"); }).find("/nonexistent/config.json"),
            std::string::npos);
}

// kLlamaConfig with the keys of `extra` (a JSON object's body) set on top, and the
// architecture optionally replaced.
std::string config_with(const std::string& extra, const std::string& arch = "LlamaForCausalLM") {
  nlohmann::json j = nlohmann::json::parse(kLlamaConfig);
  j.update(nlohmann::json::parse("{" + extra + "}"));
  j["architectures"] = {arch};
  return j.dump();
}

// The same RoPE settings in transformers 4.x's layout and 5.x's give the same config, for
// every supported architecture.
TEST(ModelConfig, RopeFromBothLayouts) {
  for (const std::string& arch : supported_architectures()) {
    SCOPED_TRACE(arch);
    const ModelConfig v4 = parse_model_config(config_with(R"("rope_theta":1e6,"rope_scaling":{"rope_type":"yarn",
        "factor":4.0,"original_max_position_embeddings":32,"beta_fast":16,"attention_factor":1.5})", arch), "c.json");
    const ModelConfig v5 = parse_model_config(config_with(R"("rope_parameters":{"rope_theta":1e6,"rope_type":"yarn",
        "factor":4.0,"original_max_position_embeddings":32,"beta_fast":16,"attention_factor":1.5})", arch), "c.json");
    for (const ModelConfig* c : {&v4, &v5}) {
      EXPECT_EQ(c->rope_theta, 1e6);
      EXPECT_EQ(c->rope_scaling.type, RopeType::yarn);
      EXPECT_EQ(c->rope_scaling.factor, 4.0);
      EXPECT_EQ(c->rope_scaling.original_max_position_embeddings, 32);
      EXPECT_EQ(c->rope_scaling.beta_fast, 16.0);
      EXPECT_EQ(c->rope_scaling.beta_slow, 1.0);
      EXPECT_EQ(c->rope_scaling.attention_factor.value_or(0), 1.5);
    }
    EXPECT_EQ(rope_table(v4).inv_freq, rope_table(v5).inv_freq);
    // The 4.x "type" key; theta at the top level next to rope_parameters; plain RoPE.
    const ModelConfig old = parse_model_config(config_with(R"("rope_scaling":{"type":"linear","factor":2})", arch), "c");
    EXPECT_EQ(old.rope_scaling.type, RopeType::linear);
    const ModelConfig top = parse_model_config(
        config_with(R"("rope_theta":5e5,"rope_parameters":{"rope_type":"default"})", arch), "c");
    EXPECT_EQ(top.rope_theta, 5e5);
    EXPECT_EQ(top.rope_scaling.type, RopeType::none);
    EXPECT_EQ(parse_model_config(config_with(R"("rope_parameters":{"rope_theta":5e5})", arch), "c").rope_theta, 5e5);
  }
}

// Every value that would change the math and is not implemented, or is out of range, is a
// one-line error naming the file and the key (and the value where there is one).
TEST(ModelConfig, RefusesWhatItDoesNotImplement) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      // {spliced JSON, architecture, expected part of the message}
      {R"("rope_parameters":{"rope_type":"longrope","short_factor":[1],"long_factor":[1]})", "",
       R"("rope_parameters.rope_type" = "longrope" is not supported (supported: default, linear, dynamic, yarn, llama3, freq_factors))"},
      {R"("rope_scaling":{"rope_type":"freq_factors","freq_factors":[1,2]})", "",
       R"("rope_scaling.freq_factors" must be a list of head_dim / 2 (4) numbers for rope_type "freq_factors")"},
      {R"("rope_scaling":{"rope_type":"freq_factors"})", "", R"("rope_scaling.freq_factors" must be a list)"},
      {R"("rope_scaling":{"rope_type":"freq_factors","freq_factors":[1,2,0,4]})", "",
       R"("rope_scaling.freq_factors" must be in [1e-06, 65536], got 0)"},
      {R"("rope_scaling":{"type":"su","factor":2})", "", R"("rope_scaling.type" = "su" is not supported)"},
      {R"("rope_parameters":{"rope_type":"proportional"})", "", R"("rope_parameters.rope_type" = "proportional")"},
      {R"("rope_parameters":{"rope_type":"linear","type":"dynamic","factor":2})", "", R"(disagree)"},
      {R"("rope_parameters":{"rope_type":"linear"})", "",
       R"("rope_parameters.factor" is required for rope_type "linear")"},
      {R"("rope_parameters":{"rope_type":"linear","factor":0})", "", R"("rope_parameters.factor" must be in)"},
      {R"("rope_parameters":{"rope_type":"linear","factor":3.9e20})", "", R"("rope_parameters.factor" must be in)"},
      {R"("rope_parameters":{"rope_type":"dynamic","factor":"2"})", "", R"("rope_parameters.factor" must be a number)"},
      {R"("rope_scaling":{"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4})", "",
       R"("rope_scaling.original_max_position_embeddings" is required for rope_type "llama3")"},
      {R"("rope_scaling":{"rope_type":"llama3","factor":8,"low_freq_factor":4,"high_freq_factor":4,
         "original_max_position_embeddings":64})", "", R"("rope_scaling.high_freq_factor" (4) must exceed)"},
      {R"("rope_scaling":{"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,
         "original_max_position_embeddings":64.5})", "", R"("rope_scaling.original_max_position_embeddings" must be an integer, got 64.5)"},
      {R"("rope_parameters":{"rope_type":"yarn","factor":4,"truncate":"yes"})", "",
       R"("rope_parameters.truncate" must be true or false)"},
      {R"("rope_parameters":{"rope_type":"yarn","factor":4,"attention_factor":-1})", "",
       R"("rope_parameters.attention_factor" must be in)"},
      {R"("original_max_position_embeddings":4096,"rope_parameters":{"rope_type":"yarn","factor":4,
         "original_max_position_embeddings":8192})", "", R"(top-level "original_max_position_embeddings" (4096) differs)"},
      {R"("rope_parameters":{"full_attention":{"rope_type":"default"}})", "", R"(nested per layer type ("full_attention"))"},
      {R"("rope_parameters":{"rope_type":"linear","factor":2},"rope_scaling":{"rope_type":"linear","factor":3})", "",
       R"("rope_parameters" and "rope_scaling" disagree)"},
      {R"("rope_theta":1e6,"rope_parameters":{"rope_theta":1e4})", "", R"("rope_theta" (1000000.0) and "rope_parameters.rope_theta" (10000.0) disagree)"},
      {R"("rope_theta":-1)", "", R"("rope_theta" must be in)"},
      {R"("rope_parameters":"yarn")", "", R"("rope_parameters" must be an object)"},
      {R"("partial_rotary_factor":0.5)", "", R"("partial_rotary_factor" = 0.5 is not supported)"},
      {R"("rope_parameters":{"rope_type":"default","partial_rotary_factor":0.25})", "",
       R"("rope_parameters.partial_rotary_factor" = 0.25 is not supported)"},
      {R"("hidden_act":"gelu")", "", R"("hidden_act" = "gelu" is not supported (supported: silu, swish))"},
      {R"("layer_types":["full_attention","full_attention","full_attention","full_attention","chunked_attention"])",
       "Qwen3ForCausalLM", R"("layer_types" entry "chunked_attention" is not supported)"},
      {R"("layer_types":["full_attention"])", "Qwen2ForCausalLM", R"("layer_types" must be a list of num_hidden_layers (5))"},
      {R"("use_sliding_window":false,"sliding_window":null,"layer_types":["full_attention","sliding_attention",
         "full_attention","full_attention","full_attention"])", "Qwen2ForCausalLM",
       R"("layer_types" marks layer 1 "sliding_attention" but there is no window)"},
      {R"("sliding_window":0)", "MistralForCausalLM", R"("sliding_window" must be in [1, 2147483647], got 0)"},
      {R"("torch_dtype":"float64")", "", R"("torch_dtype" = "float64" is not supported)"},
      {R"("dtype":"float16","torch_dtype":"bfloat16")", "", R"("torch_dtype" ("bfloat16") and "dtype" ("float16") disagree)"},
      {R"("quantization_config":{"quant_method":"gptq","bits":4})", "", R"("quantization_config" (quant_method "gptq") is not supported)"},
      {R"("hidden_size":3.9e20)", "", R"("hidden_size" must be in [1, 1048576], got 3.9e+20)"},
      {R"("hidden_size":64.5)", "", R"("hidden_size" must be an integer, got 64.5)"},
      {R"("num_hidden_layers":-1)", "", R"("num_hidden_layers" must be in [1, 4096], got -1)"},
      {R"("head_dim":18446744073709551615)", "", R"("head_dim" must be in [0, 4096])"},
      {R"("max_position_embeddings":1e10)", "", R"("max_position_embeddings" must be in)"},
      {R"("rms_norm_eps":0)", "", R"("rms_norm_eps" must be in)"},
      {R"("eos_token_id":[2,3.9e20])", "", R"("eos_token_id" must be in [0, 2147483647])"},
      {R"("bos_token_id":-5)", "", R"("bos_token_id" must be in [0, 2147483647], got -5)"},
      {R"("attention_bias":"yes")", "", R"("attention_bias" must be true or false)"},
  };
  for (const auto& [extra, arch, want] : cases) {
    const std::string e =
        error_of([&] { parse_model_config(config_with(extra, arch.empty() ? "LlamaForCausalLM" : arch), "m/config.json"); });
    EXPECT_EQ(e.rfind("m/config.json: ", 0), 0u) << e;
    EXPECT_NE(e.find(want), std::string::npos) << "input " << extra << "\n  got: " << e << "\n  want: " << want;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

// Which layers slide follows each architecture's transformers code; the window caps the context.
TEST(ModelConfig, SlidingWindowFromLayerTypes) {
  auto window = [](const std::string& extra, const std::string& arch) {
    return parse_model_config(config_with(extra, arch), "c.json").sliding_window.value_or(0);
  };
  const std::string mixed = R"("layer_types":["full_attention","sliding_attention","sliding_attention",
      "sliding_attention","sliding_attention"],"sliding_window":64)";
  EXPECT_EQ(window(mixed + R"(,"use_sliding_window":true)", "Qwen2ForCausalLM"), 64);
  EXPECT_EQ(window(mixed + R"(,"use_sliding_window":true)", "Qwen3ForCausalLM"), 64);
  // All layers full: no window, whatever sliding_window says.
  EXPECT_EQ(window(R"("use_sliding_window":true,"sliding_window":64,"layer_types":["full_attention",
      "full_attention","full_attention","full_attention","full_attention"])", "Qwen2ForCausalLM"), 0);
  // Without layer_types (4.x before layer_types): layers from max_window_layers on slide.
  EXPECT_EQ(window(R"("use_sliding_window":true,"sliding_window":64,"max_window_layers":3)", "Qwen2ForCausalLM"), 64);
  EXPECT_EQ(window(R"("use_sliding_window":true,"sliding_window":64,"max_window_layers":5)", "Qwen2ForCausalLM"), 0);
  EXPECT_EQ(window(R"("sliding_window":64)", "Qwen2ForCausalLM"), 0);  // use_sliding_window defaults to false
  EXPECT_EQ(window(R"("sliding_window":64)", "MistralForCausalLM"), 64);
  EXPECT_EQ(window(R"("sliding_window":64)", "LlamaForCausalLM"), 0);  // Llama's attention has no window
}

// dynamic NTK equals plain RoPE below max_position_embeddings; a cache past it is refused.
TEST(ModelConfig, DynamicRopeStopsAtMaxPositions) {
  ModelConfig c = parse_model_config(config_with(R"("rope_parameters":{"rope_type":"dynamic","factor":4})"), "c");
  ModelConfig plain = parse_model_config(kLlamaConfig, "c");
  EXPECT_EQ(rope_table(c).inv_freq, rope_table(plain).inv_freq);
}

// Independent reference: HF's _compute_llama3_parameters, evaluated by hand for
// theta 500000, head_dim 64, factor 8, low 1, high 4, original context 64.
TEST(RopeFrequencies, Llama3BandsFollowTransformers) {
  ModelConfig c = parse_model_config(kLlamaConfig, "c.json");
  c.head_dim = 64;
  c.rope_theta = 500000.0;
  c.rope_scaling.type = RopeType::llama3;
  c.rope_scaling.factor = 8.0, c.rope_scaling.low_freq_factor = 1.0, c.rope_scaling.high_freq_factor = 4.0;
  c.rope_scaling.original_max_position_embeddings = 64;
  const std::vector<float> f = rope_table(c).inv_freq;
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

// llama.cpp's form of llama3 RoPE: rope_freqs.weight divides the default frequencies. The
// divisors the converter writes for llama-tiny's llama3 parameters (make_gguf_arch_goldens.py)
// give transformers' llama3 frequencies within fp32 rounding.
TEST(RopeFrequencies, GgufFreqFactorsEqualLlama3) {
  const std::string gguf = testing::test_data("gguf/llama-tiny.gguf");
  const ModelConfig from_gguf = config_of_model(gguf);
  ASSERT_EQ(from_gguf.rope_scaling.type, RopeType::freq_factors);
  const ModelConfig from_hf = load_model_config(testing::test_data("models/llama-tiny/config.json"));
  ASSERT_EQ(from_hf.rope_scaling.type, RopeType::llama3);
  const std::vector<float> a = rope_table(from_gguf).inv_freq, b = rope_table(from_hf).inv_freq;
  ASSERT_EQ(a.size(), b.size());
  int differ = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i], b[i], 4e-7 * b[i]) << i;
    differ += a[i] != b[i];
  }
  EXPECT_LT(differ, int(a.size()));  // mostly bit-equal: only the blended band rounds differently
}

// A copy of llama-tiny.gguf with one rope_freqs.weight element replaced.
std::string gguf_with_rope_factor(const fs::path& dir, size_t index, float value) {
  const std::string src = testing::test_data("gguf/llama-tiny.gguf");
  std::string bytes = testing::read_file(src);
  const auto f = GgufFile::open(src);
  const GgufTensor* t = f->find_tensor("rope_freqs.weight");
  std::memcpy(&bytes[size_t(f->data_offset() + t->offset) + index * sizeof(float)], &value, sizeof(float));
  const std::string out = (dir / "patched.gguf").string();
  std::ofstream(out, std::ios::binary) << bytes;
  return out;
}

TEST(RopeFrequencies, BadGgufFreqFactorsNameTheTensor) {
  const fs::path dir = fs::temp_directory_path() / ("llmrun_rope_freqs_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (float bad : {0.0f, -1.0f, std::nanf(""), INFINITY}) {
    const std::string path = gguf_with_rope_factor(dir, 3, bad);
    const std::string e = error_of([&] { config_of_model(path); });
    EXPECT_NE(e.find(path + ": tensor rope_freqs.weight: element 3 is "), std::string::npos) << e;
    EXPECT_NE(e.find("expected a divisor in [1e-6, 65536]"), std::string::npos) << e;
  }
  fs::remove_all(dir);
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

// dynamic NTK RoPE is exact only below max_position_embeddings (transformers rescales
// past it mid-sequence): a longer cache is refused.
TEST_F(BrokenCheckpoint, DynamicRopeCacheStopsAtMaxPositions) {
  write_model();
  write_text("config.json", R"({"architectures":["LlamaForCausalLM"],"hidden_size":8,
    "intermediate_size":12,"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,
    "vocab_size":16,"tie_word_embeddings":true,"dtype":"float32","max_position_embeddings":32,
    "rope_parameters":{"rope_type":"dynamic","factor":2.0,"rope_theta":10000.0}})");
  auto backend = make_backend({"cpu", 1});
  LoadedModel m = load_model(dir_.string(), *backend, testing::quiet_load("auto"));
  EXPECT_EQ(m.model->new_cache(32).capacity(), 32);
  const std::string e = error_of([&] { m.model->new_cache(33); });
  EXPECT_NE(e.find("context 33 exceeds max_position_embeddings 32: \"dynamic\" RoPE"), std::string::npos) << e;
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
