#include "runtime/models/weight_table.h"

namespace llmrun {

std::vector<WeightSlot> weight_table(const ModelConfig& c, DecoderWeights& w) {
  const int64_t hidden = c.hidden_size, ffn = c.intermediate_size;
  const int64_t q_rows = c.num_heads * c.head_dim, kv_rows = c.num_kv_heads * c.head_dim;
  std::vector<WeightSlot> t;
  t.push_back({"model.embed_tokens.weight", WeightRole::embedding, c.vocab_size, hidden, &w.embed});
  t.push_back({"model.norm.weight", WeightRole::vector, 1, hidden, &w.final_norm});
  if (!c.tie_word_embeddings)
    t.push_back({"lm_head.weight", WeightRole::lm_head, c.vocab_size, hidden, &w.lm_head});

  w.layers.resize(size_t(c.num_layers));
  for (int64_t i = 0; i < c.num_layers; ++i) {
    LayerWeights& l = w.layers[size_t(i)];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    t.push_back({p + "input_layernorm.weight", WeightRole::vector, 1, hidden, &l.attn_norm});
    t.push_back({p + "post_attention_layernorm.weight", WeightRole::vector, 1, hidden, &l.mlp_norm});
    t.push_back({p + "self_attn.q_proj.weight", WeightRole::linear, q_rows, hidden, &l.q});
    t.push_back({p + "self_attn.k_proj.weight", WeightRole::linear, kv_rows, hidden, &l.k});
    t.push_back({p + "self_attn.v_proj.weight", WeightRole::linear, kv_rows, hidden, &l.v});
    t.push_back({p + "self_attn.o_proj.weight", WeightRole::linear, hidden, q_rows, &l.o});
    t.push_back({p + "mlp.gate_proj.weight", WeightRole::linear, ffn, hidden, &l.gate});
    t.push_back({p + "mlp.up_proj.weight", WeightRole::linear, ffn, hidden, &l.up});
    t.push_back({p + "mlp.down_proj.weight", WeightRole::linear, hidden, ffn, &l.down});
    if (c.qkv_bias) {
      t.push_back({p + "self_attn.q_proj.bias", WeightRole::vector, 1, q_rows, &l.q_bias});
      t.push_back({p + "self_attn.k_proj.bias", WeightRole::vector, 1, kv_rows, &l.k_bias});
      t.push_back({p + "self_attn.v_proj.bias", WeightRole::vector, 1, kv_rows, &l.v_bias});
    }
    if (c.o_bias) t.push_back({p + "self_attn.o_proj.bias", WeightRole::vector, 1, hidden, &l.o_bias});
    if (c.qk_norm) {
      t.push_back({p + "self_attn.q_norm.weight", WeightRole::vector, 1, c.head_dim, &l.q_norm});
      t.push_back({p + "self_attn.k_norm.weight", WeightRole::vector, 1, c.head_dim, &l.k_norm});
    }
    if (c.mlp_bias) {
      t.push_back({p + "mlp.gate_proj.bias", WeightRole::vector, 1, ffn, &l.gate_bias});
      t.push_back({p + "mlp.up_proj.bias", WeightRole::vector, 1, ffn, &l.up_bias});
      t.push_back({p + "mlp.down_proj.bias", WeightRole::vector, 1, hidden, &l.down_bias});
    }
  }
  return t;
}

std::string projection_of(const std::string& name) {
  static const std::pair<const char*, const char*> kinds[] = {
      {".self_attn.q_proj.", "q"}, {".self_attn.k_proj.", "k"}, {".self_attn.v_proj.", "v"},
      {".self_attn.o_proj.", "o"}, {".mlp.gate_proj.", "gate"},  {".mlp.up_proj.", "up"},
      {".mlp.down_proj.", "down"}};
  for (const auto& [needle, kind] : kinds)
    if (name.find(needle) != std::string::npos) return kind;
  return "";
}

bool is_ignored_tensor(const ModelConfig& c, const std::string& name) {
  if (c.tie_word_embeddings && name == "lm_head.weight") return true;
  // A GGUF file's RoPE divisors: read into the config (loaders/gguf_model), not a weight.
  if (c.rope_scaling.type == RopeType::freq_factors && name == "rope_freqs.weight") return true;
  const std::string suffix = "rotary_emb.inv_freq";
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace llmrun
