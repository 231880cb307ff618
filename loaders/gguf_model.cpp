// GGUF metadata -> config.json, and the tensor name map (llama.cpp's gguf-py
// tensor_mapping for the llama/qwen2/qwen3 decoder).
#include "loaders/gguf_model.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "loaders/gguf_dequant.h"
#include "loaders/gguf_tokenizer_json.h"
#include "runtime/error.h"

namespace llmrun {
namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

const std::map<std::string, std::string>& architectures() {
  static const std::map<std::string, std::string> m = {
      {"llama", "LlamaForCausalLM"}, {"qwen2", "Qwen2ForCausalLM"}, {"qwen3", "Qwen3ForCausalLM"}};
  return m;
}

// Per-layer names: HF suffix after "model.layers.N." <-> GGUF suffix after "blk.N.".
const std::pair<const char*, const char*> kLayerNames[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.bias", "attn_output.bias"},
    {"self_attn.q_norm.weight", "attn_q_norm.weight"},
    {"self_attn.k_norm.weight", "attn_k_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
    {"mlp.gate_proj.bias", "ffn_gate.bias"},
    {"mlp.up_proj.bias", "ffn_up.bias"},
    {"mlp.down_proj.bias", "ffn_down.bias"},
};
const std::pair<const char*, const char*> kGlobalNames[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

// "<prefix><digits>.<rest>" -> (layer, rest); false when `name` has another form.
bool split_layer(const std::string& name, const std::string& prefix, std::string* layer, std::string* rest) {
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  size_t i = prefix.size(), j = i;
  while (j < name.size() && j - i < 9 && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
  if (j == i || j >= name.size() || name[j] != '.') return false;
  *layer = name.substr(i, j - i);
  *rest = name.substr(j + 1);
  return true;
}

std::string arch_of(const GgufFile& f) {
  const std::string& arch = f.get_string("general.architecture");
  if (!architectures().count(arch)) {
    std::string list;
    for (const auto& [name, hf] : architectures()) list += (list.empty() ? "" : ", ") + name;
    fail(f.path(), ": key general.architecture is \"", arch, "\", which llmrun does not support (supported: ", list,
         ")");
  }
  return arch;
}

int64_t positive(const GgufFile& f, const std::string& key) {
  const int64_t v = f.get_int(key);
  if (v <= 0) fail(f.path(), ": key ", key, " is ", v, ", expected a positive integer");
  return v;
}

}  // namespace

std::string find_gguf_model(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return is_gguf_file(path) ? path : "";
  if (!fs::is_directory(path, ec) || fs::is_regular_file(fs::path(path) / "config.json", ec)) return "";
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (e.path().extension() == ".gguf" && is_gguf_file(e.path().string())) found.push_back(e.path().string());
  if (found.size() > 1) {
    std::sort(found.begin(), found.end());
    std::string list;
    for (const std::string& p : found) list += (list.empty() ? "" : ", ") + fs::path(p).filename().string();
    fail("--model ", path, ": several GGUF files (", list, "); name one of them");
  }
  return found.empty() ? "" : found[0];
}

ojson gguf_hf_config(const GgufFile& f) {
  const std::string arch = arch_of(f);
  const std::string p = arch + ".";
  ojson c;
  c["architectures"] = {architectures().at(arch)};
  c["model_type"] = arch;
  const int64_t hidden = positive(f, p + "embedding_length");
  const int64_t heads = positive(f, p + "attention.head_count");
  c["hidden_size"] = hidden;
  c["intermediate_size"] = positive(f, p + "feed_forward_length");
  c["num_hidden_layers"] = positive(f, p + "block_count");
  c["num_attention_heads"] = heads;
  c["num_key_value_heads"] = f.find(p + "attention.head_count_kv") ? positive(f, p + "attention.head_count_kv") : heads;
  int64_t head_dim = 0;
  if (f.find(p + "attention.key_length")) {
    head_dim = positive(f, p + "attention.key_length");
  } else {
    if (hidden % heads != 0)
      fail(f.path(), ": no ", p, "attention.key_length and ", p, "embedding_length ", hidden, " is not a multiple of ",
           p, "attention.head_count ", heads);
    head_dim = hidden / heads;
  }
  if (f.find(p + "attention.value_length") && f.get_int(p + "attention.value_length") != head_dim)
    fail(f.path(), ": key ", p, "attention.value_length is ", f.get_int(p + "attention.value_length"),
         " but key_length is ", head_dim, " (different key and value sizes are not supported)");
  if (f.find(p + "rope.dimension_count") && f.get_int(p + "rope.dimension_count") != head_dim)
    fail(f.path(), ": key ", p, "rope.dimension_count is ", f.get_int(p + "rope.dimension_count"),
         ", expected the head size ", head_dim, " (partial rotary embeddings are not supported)");
  c["head_dim"] = head_dim;

  // Vocabulary size: the metadata key, else the token list, and the embedding must agree.
  int64_t vocab = 0;
  if (f.find(p + "vocab_size")) vocab = positive(f, p + "vocab_size");
  else if (f.find("tokenizer.ggml.tokens")) vocab = int64_t(f.get_strings("tokenizer.ggml.tokens").size());
  const GgufTensor* embd = f.find_tensor("token_embd.weight");
  if (!embd) fail(f.path(), ": missing tensor token_embd.weight");
  if (embd->ne.size() != 2) fail(f.path(), ": tensor token_embd.weight has shape ", embd->shape_str(), ", expected 2 dimensions");
  if (vocab == 0) vocab = embd->ne[1];
  if (embd->ne[1] != vocab)
    fail(f.path(), ": tensor token_embd.weight has ", embd->ne[1], " rows but the vocabulary has ", vocab, " tokens");
  c["vocab_size"] = vocab;
  c["max_position_embeddings"] = positive(f, p + "context_length");
  c["rms_norm_eps"] = f.get_real(p + "attention.layer_norm_rms_epsilon");
  c["rope_theta"] = f.find(p + "rope.freq_base") ? f.get_real(p + "rope.freq_base") : 10000.0;

  // RoPE scaling: from keys, or (llama3-style, as llama.cpp's converter writes it) a
  // rope_freqs.weight tensor of per-frequency divisors.
  const std::string scaling_key = p + "rope.scaling.type";
  if (f.find(scaling_key)) {
    const std::string& type = f.get_string(scaling_key);
    if (type == "linear" || type == "yarn") {
      ojson rs;
      rs["rope_type"] = type;
      rs["factor"] = f.get_real(p + "rope.scaling.factor");
      if (f.find(p + "rope.scaling.original_context_length"))
        rs["original_max_position_embeddings"] = positive(f, p + "rope.scaling.original_context_length");
      c["rope_scaling"] = rs;  // the config parser accepts it or says it is unsupported
    } else if (type != "none") {
      fail(f.path(), ": key ", scaling_key, " is \"", type, "\", which llmrun does not support (supported: none, linear, yarn)");
    }
  }
  if (const GgufTensor* t = f.find_tensor("rope_freqs.weight")) {
    if (c.contains("rope_scaling"))
      fail(f.path(), ": tensor rope_freqs.weight and key ", scaling_key, " both scale RoPE; llmrun supports one of them");
    if (t->ne.size() != 1 || t->ne[0] != head_dim / 2)
      fail(f.path(), ": tensor rope_freqs.weight has shape ", t->shape_str(), ", expected [", head_dim / 2,
           "] (one divisor per rotary frequency)");
    const std::vector<float> factors = gguf_to_f32(*t);
    for (size_t i = 0; i < factors.size(); ++i)
      if (!(factors[i] >= 1e-6f && factors[i] <= 65536.0f))
        fail(f.path(), ": tensor rope_freqs.weight: element ", i, " is ", factors[i],
             ", expected a divisor in [1e-6, 65536]");
    ojson rs;
    rs["rope_type"] = "freq_factors";
    rs["freq_factors"] = factors;
    c["rope_scaling"] = rs;
  }

  c["tie_word_embeddings"] = f.find_tensor("output.weight") == nullptr;
  if (arch == "llama") {
    c["attention_bias"] = f.find_tensor("blk.0.attn_q.bias") != nullptr;
    c["mlp_bias"] = f.find_tensor("blk.0.ffn_up.bias") != nullptr;
  }
  c["hidden_act"] = "silu";
  // Dequantized values are exact in fp32; that is the baseline precision.
  c["torch_dtype"] = "float32";
  for (const char* key : {"bos_token_id", "eos_token_id"})
    if (f.find(std::string("tokenizer.ggml.") + key)) c[key] = f.get_int(std::string("tokenizer.ggml.") + key);
  return c;
}

ojson gguf_generation_config(const GgufFile& f) {
  ojson g = ojson::object();
  for (const char* key : {"bos_token_id", "eos_token_id"})
    if (f.find(std::string("tokenizer.ggml.") + key)) g[key] = f.get_int(std::string("tokenizer.ggml.") + key);
  return g;
}

std::vector<std::pair<std::string, std::string>> gguf_hf_files(const GgufFile& f) {
  const bool sentencepiece = gguf_tokenizer_model(f) == "llama";
  return {{"config.json", gguf_hf_config(f).dump(2)},
          {"generation_config.json", gguf_generation_config(f).dump(2)},
          sentencepiece ? std::pair<std::string, std::string>{"tokenizer.model", gguf_sentencepiece_model(f)}
                        : std::pair<std::string, std::string>{"tokenizer.json", gguf_tokenizer_json(f).dump()},
          {"tokenizer_config.json", gguf_tokenizer_config(f).dump(2)}};
}

std::string gguf_name_for(const std::string& hf) {
  for (const auto& [h, g] : kGlobalNames)
    if (hf == h) return g;
  std::string layer, rest;
  if (!split_layer(hf, "model.layers.", &layer, &rest)) return "";
  for (const auto& [h, g] : kLayerNames)
    if (rest == h) return "blk." + layer + "." + g;
  return "";
}

std::string hf_name_for(const std::string& gguf) {
  for (const auto& [h, g] : kGlobalNames)
    if (gguf == g) return h;
  std::string layer, rest;
  if (split_layer(gguf, "blk.", &layer, &rest))
    for (const auto& [h, g] : kLayerNames)
      if (rest == g) return "model.layers." + layer + "." + h;
  return gguf;
}

std::vector<float> unpermute_rope_rows(const std::vector<float>& src, int64_t rows, int64_t cols, int64_t n_heads) {
  LLMRUN_CHECK(n_heads > 0 && rows % (2 * n_heads) == 0 && int64_t(src.size()) == rows * cols, "rows=", rows,
               " heads=", n_heads);
  const int64_t head_dim = rows / n_heads, half = head_dim / 2;
  std::vector<float> out(src.size());
  // GGUF row h*head_dim + 2*i + j holds HF row h*head_dim + j*half + i.
  for (int64_t h = 0; h < n_heads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        const float* from = src.data() + (h * head_dim + 2 * i + j) * cols;
        std::copy(from, from + cols, out.data() + (h * head_dim + j * half + i) * cols);
      }
  return out;
}

std::vector<float> gguf_hf_tensor_f32(const GgufFile& f, const std::string& hf_name) {
  const std::string name = gguf_name_for(hf_name);
  const GgufTensor* t = name.empty() ? nullptr : f.find_tensor(name);
  LLMRUN_CHECK(t != nullptr, "no GGUF tensor for ", hf_name);
  std::vector<float> values = gguf_to_f32(*t);
  if (f.get_string("general.architecture") != "llama") return values;
  const bool q = name.find(".attn_q.") != std::string::npos, k = name.find(".attn_k.") != std::string::npos;
  if (!q && !k) return values;
  const int64_t heads = f.get_int("llama.attention.head_count");
  const int64_t n = k && f.find("llama.attention.head_count_kv") ? f.get_int("llama.attention.head_count_kv") : heads;
  const int64_t rows = t->ne.size() == 1 ? t->ne[0] : t->rows(), cols = t->ne.size() == 1 ? 1 : t->cols();
  if (n <= 0 || rows % (2 * n) != 0)
    fail(f.path(), ": tensor ", name, ": ", rows, " rows do not split into ", n, " heads of an even size");
  return unpermute_rope_rows(values, rows, cols, n);
}

}  // namespace llmrun
