#pragma once
// Writes a random-weight Llama checkpoint with stories260k's tokenizer, big enough that
// generation takes seconds (for interrupting replies in the chat tests).
#include <filesystem>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "loaders/safetensors.h"

namespace llmrun::testing {

inline void write_random_llama(const std::string& dir, const std::string& tokenizer_dir, int64_t hidden, int64_t layers,
                               int64_t ffn, uint32_t seed = 1, float weight_std = 0.05f) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const int64_t vocab = 512, heads = 8, kv = 4, hd = hidden / heads;
  std::ofstream(dir + "/config.json") << "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":" << hidden
                                      << ",\"intermediate_size\":" << ffn << ",\"num_hidden_layers\":" << layers
                                      << ",\"num_attention_heads\":" << heads << ",\"num_key_value_heads\":" << kv
                                      << ",\"vocab_size\":" << vocab
                                      << ",\"max_position_embeddings\":4096,\"tie_word_embeddings\":true,"
                                         "\"bos_token_id\":1,\"eos_token_id\":2,\"torch_dtype\":\"float32\"}";
  for (const char* f : {"tokenizer.model", "tokenizer_config.json"})
    fs::copy_file(tokenizer_dir + "/" + f, dir + "/" + f, fs::copy_options::overwrite_existing);
  fs::permissions(dir + "/tokenizer.model", fs::perms::owner_write, fs::perm_options::add);
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.f, weight_std);
  std::vector<TensorToWrite> tensors;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, bool ones) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = ones ? 1.f : normal(rng);
    TensorToWrite t{name, DType::f32, shape, std::vector<uint8_t>(size_t(n) * 4)};
    std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
    tensors.push_back(std::move(t));
  };
  add("model.embed_tokens.weight", {vocab, hidden}, false);
  // EOS (id 2) gets a zero row: its tied logit is always 0, below the largest of the
  // other 511 random logits, so greedy replies never end by themselves.
  std::memset(tensors.back().bytes.data() + 2 * hidden * 4, 0, size_t(hidden) * 4);
  add("model.norm.weight", {hidden}, true);
  for (int64_t l = 0; l < layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {hidden}, true);
    add(p + "post_attention_layernorm.weight", {hidden}, true);
    add(p + "self_attn.q_proj.weight", {heads * hd, hidden}, false);
    add(p + "self_attn.k_proj.weight", {kv * hd, hidden}, false);
    add(p + "self_attn.v_proj.weight", {kv * hd, hidden}, false);
    add(p + "self_attn.o_proj.weight", {hidden, heads * hd}, false);
    add(p + "mlp.gate_proj.weight", {ffn, hidden}, false);
    add(p + "mlp.up_proj.weight", {ffn, hidden}, false);
    add(p + "mlp.down_proj.weight", {hidden, ffn}, false);
  }
  write_safetensors(dir + "/model.safetensors", tensors);
}

}  // namespace llmrun::testing
