#pragma once
// What the decoder needs to know about a checkpoint, parsed from config.json
// (loaders/hf_config). Architectures differ only by the switches at the bottom.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmrun {

// RoPE variants as transformers computes them (modeling_rope_utils), read from
// "rope_scaling" + "rope_theta" (transformers 4.x) or "rope_parameters" (5.x). Only the
// fields of `type` are meaningful; the frequencies are computed in runtime/rope_frequencies.
// freq_factors is llmrun's own: llama.cpp's GGUF files carry llama3-style scaling as a
// rope_freqs.weight tensor of per-frequency divisors, not as parameters; config.json written
// by `llmrun quantize` from such a file keeps them as rope_type "freq_factors".
enum class RopeType { none, linear, dynamic, yarn, llama3, freq_factors };  // none: rope_type "default"
const char* rope_type_name(RopeType type);

struct RopeScaling {
  RopeType type = RopeType::none;
  double factor = 1.0;  // linear, dynamic, yarn, llama3
  // llama3, yarn; 0 = not given (yarn then uses max_position_embeddings, as transformers).
  int64_t original_max_position_embeddings = 0;
  double low_freq_factor = 1.0, high_freq_factor = 4.0;  // llama3
  double beta_fast = 32.0, beta_slow = 1.0;             // yarn
  bool truncate = true;                                 // yarn
  // yarn: multiplies cos and sin; when absent, derived from factor (and mscale,
  // mscale_all_dim when both are given and non-zero).
  std::optional<double> attention_factor, mscale, mscale_all_dim;
  // freq_factors: head_dim / 2 divisors of the default inverse frequencies (llama.cpp's
  // theta / freq_factor), each finite and positive.
  std::vector<double> freq_factors;
};

struct ModelConfig {
  std::string architecture;  // "Qwen3ForCausalLM", ...
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;  // explicit in config, else hidden_size / num_heads
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;  // type none: plain RoPE
  bool tie_word_embeddings = false;
  // Sliding-window attention on some or all layers (Mistral v0.1; Qwen2/Qwen3 layers marked
  // "sliding_attention" in layer_types): full attention equals it only up to this many
  // positions, so contexts are capped there.
  std::optional<int64_t> sliding_window;
  std::string torch_dtype;  // "bfloat16", "float16", "float32"
  std::optional<int32_t> bos_token_id;
  std::vector<int32_t> eos_token_ids;

  // Architecture switches.
  bool qk_norm = false;        // Qwen3: RMSNorm over each q/k head before RoPE
  bool qkv_bias = false;       // Qwen2 (and attention_bias=true)
  bool o_bias = false;         // attention_bias=true on Llama-style configs
  bool mlp_bias = false;
};

// Sampling defaults from generation_config.json (absent fields stay empty).
struct GenerationDefaults {
  std::optional<double> temperature;
  std::optional<int64_t> top_k;
  std::optional<double> top_p;
  std::optional<double> min_p;
  std::optional<double> repetition_penalty;
  std::optional<bool> do_sample;
  std::optional<int32_t> bos_token_id;
  std::vector<int32_t> eos_token_ids;
};

}  // namespace llmrun
