#include "eval/random_checkpoint.h"

#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "kernels/quant/half.h"
#include "loaders/safetensors.h"
#include "runtime/error.h"
#include "runtime/models/weight_table.h"

namespace llmrun::eval {

std::vector<std::string> random_model_shapes() { return {"qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "llama-3.2-1b"}; }

ModelConfig random_model_shape(const std::string& name) {
  ModelConfig c;
  c.architecture = "Qwen3ForCausalLM";
  c.qk_norm = true;
  c.tie_word_embeddings = true;
  c.num_kv_heads = 8;
  c.head_dim = 128;
  c.vocab_size = 151936;
  c.max_position_embeddings = 40960;
  c.rope_theta = 1000000;
  c.rms_norm_eps = 1e-6;
  c.torch_dtype = "bfloat16";
  c.eos_token_ids = {151645};
  if (name == "qwen3-0.6b") {
    c.hidden_size = 1024, c.intermediate_size = 3072, c.num_layers = 28, c.num_heads = 16;
  } else if (name == "qwen3-1.7b") {
    c.hidden_size = 2048, c.intermediate_size = 6144, c.num_layers = 28, c.num_heads = 16;
  } else if (name == "qwen3-4b") {
    c.hidden_size = 2560, c.intermediate_size = 9728, c.num_layers = 36, c.num_heads = 32;
  } else if (name == "llama-3.2-1b") {
    c = ModelConfig{};
    c.architecture = "LlamaForCausalLM";
    c.hidden_size = 2048, c.intermediate_size = 8192, c.num_layers = 16, c.num_heads = 32, c.num_kv_heads = 8;
    c.head_dim = 64, c.vocab_size = 128256, c.max_position_embeddings = 131072, c.rope_theta = 500000;
    c.rms_norm_eps = 1e-5, c.tie_word_embeddings = true, c.torch_dtype = "bfloat16", c.eos_token_ids = {128001};
    c.rope_scaling.type = RopeType::llama3;
    c.rope_scaling.factor = 32.0, c.rope_scaling.low_freq_factor = 1.0, c.rope_scaling.high_freq_factor = 4.0;
    c.rope_scaling.original_max_position_embeddings = 8192;
  } else {
    std::string valid;
    for (const std::string& s : random_model_shapes()) valid += (valid.empty() ? "" : ", ") + s;
    fail("--shape ", name, ": unknown (valid: ", valid, ")");
  }
  return c;
}

void write_random_checkpoint(const ModelConfig& c, const std::string& dir, uint64_t seed) {
  std::filesystem::create_directories(dir);
  nlohmann::ordered_json j;
  j["architectures"] = {c.architecture};
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_layers;
  j["num_attention_heads"] = c.num_heads;
  j["num_key_value_heads"] = c.num_kv_heads;
  j["head_dim"] = c.head_dim;
  j["vocab_size"] = c.vocab_size;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rope_theta"] = c.rope_theta;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["torch_dtype"] = c.torch_dtype;
  j["eos_token_id"] = c.eos_token_ids.empty() ? 0 : c.eos_token_ids[0];
  j["hidden_act"] = "silu";
  LLMRUN_CHECK(c.rope_scaling.type == RopeType::none || c.rope_scaling.type == RopeType::llama3,
               "random checkpoints write default or llama3 RoPE only");
  if (c.rope_scaling.type == RopeType::llama3)
    j["rope_scaling"] = {{"rope_type", "llama3"},
                         {"factor", c.rope_scaling.factor},
                         {"low_freq_factor", c.rope_scaling.low_freq_factor},
                         {"high_freq_factor", c.rope_scaling.high_freq_factor},
                         {"original_max_position_embeddings", c.rope_scaling.original_max_position_embeddings}};
  std::ofstream(dir + "/config.json") << j.dump(2) << "\n";

  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  DecoderWeights unused;
  std::vector<TensorToWrite> tensors;
  for (const WeightSlot& slot : weight_table(c, unused)) {
    const bool vector = slot.role == WeightRole::vector;
    const int64_t n = slot.rows * slot.cols;
    TensorToWrite t{slot.hf_name, DType::bf16, vector ? std::vector<int64_t>{slot.cols}
                                                      : std::vector<int64_t>{slot.rows, slot.cols},
                    std::vector<uint8_t>(size_t(n) * 2)};
    auto* out = reinterpret_cast<uint16_t*>(t.bytes.data());
    for (int64_t i = 0; i < n; ++i) out[i] = quant::f32_to_bf16(vector ? 1.0f : normal(rng));
    tensors.push_back(std::move(t));
  }
  write_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}, {"llmrun.random", "1"}});
}

}  // namespace llmrun::eval
