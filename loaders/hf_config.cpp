#include "loaders/hf_config.h"

#include <fstream>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/error.h"

namespace llmrun {
namespace {

using json = nlohmann::json;

// One row per architecture: the switches that set it apart from plain Llama.
struct ArchitectureRow {
  const char* name;
  std::function<void(const json&, ModelConfig&)> apply;
};

bool flag(const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  return (it == j.end() || it->is_null()) ? fallback : it->get<bool>();
}

const std::vector<ArchitectureRow>& architectures() {
  static const std::vector<ArchitectureRow> rows = {
      {"LlamaForCausalLM",
       [](const json& j, ModelConfig& c) {
         c.qkv_bias = c.o_bias = flag(j, "attention_bias", false);
         c.mlp_bias = flag(j, "mlp_bias", false);
       }},
      {"MistralForCausalLM", [](const json&, ModelConfig&) {}},
      {"Qwen2ForCausalLM", [](const json&, ModelConfig& c) { c.qkv_bias = true; }},
      {"Qwen3ForCausalLM",
       [](const json& j, ModelConfig& c) {
         c.qk_norm = true;
         c.qkv_bias = c.o_bias = flag(j, "attention_bias", false);
       }},
  };
  return rows;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open (", (std::ifstream(path) ? "unreadable" : "no such file"), ")");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

json parse_json(const std::string& text, const std::string& source) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail(source, ": malformed JSON");
  if (!j.is_object()) fail(source, ": expected a JSON object at the top level");
  return j;
}

// Reads key as T; error names the file and key when it is absent (and required) or has
// the wrong type.
template <typename T>
T get(const json& j, const std::string& source, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) fail(source, ": missing \"", key, "\"");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    fail(source, ": \"", key, "\" has the wrong type (", it->type_name(), ")");
  }
}

template <typename T>
T get_or(const json& j, const std::string& source, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return get<T>(j, source, key);
}

// bos/eos ids may be an int or a list of ints.
std::vector<int32_t> id_list(const json& j, const std::string& source, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (it->is_number_integer()) return {it->get<int32_t>()};
  if (it->is_array()) {
    std::vector<int32_t> ids;
    for (const json& v : *it) {
      if (!v.is_number_integer()) fail(source, ": \"", key, "\" must hold integers");
      ids.push_back(v.get<int32_t>());
    }
    return ids;
  }
  fail(source, ": \"", key, "\" must be an integer or a list of integers");
}

void positive(const std::string& source, const char* key, int64_t v) {
  if (v <= 0) fail(source, ": \"", key, "\" must be positive, got ", v);
}

std::optional<Llama3RopeScaling> rope_scaling(const json& j, const std::string& source) {
  auto it = j.find("rope_scaling");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) fail(source, ": \"rope_scaling\" must be an object");
  std::string type = get_or<std::string>(*it, source, "rope_type", "");
  if (type.empty()) type = get_or<std::string>(*it, source, "type", "");
  if (type == "default") return std::nullopt;
  if (type != "llama3")
    fail(source, ": rope_scaling type \"", type, "\" is not supported (supported: llama3, default)");
  Llama3RopeScaling s;
  s.factor = get<double>(*it, source, "factor");
  s.low_freq_factor = get<double>(*it, source, "low_freq_factor");
  s.high_freq_factor = get<double>(*it, source, "high_freq_factor");
  s.original_max_position_embeddings =
      get<int64_t>(*it, source, "original_max_position_embeddings");
  if (!(s.factor > 0) || !(s.high_freq_factor > s.low_freq_factor) || !(s.low_freq_factor > 0) ||
      s.original_max_position_embeddings <= 0)
    fail(source, ": rope_scaling values out of range");
  return s;
}

}  // namespace

std::vector<std::string> supported_architectures() {
  std::vector<std::string> names;
  for (const ArchitectureRow& row : architectures()) names.emplace_back(row.name);
  return names;
}

ModelConfig parse_model_config(const std::string& text, const std::string& source) {
  const json j = parse_json(text, source);
  ModelConfig c;

  auto arch_it = j.find("architectures");
  if (arch_it == j.end() || !arch_it->is_array() || arch_it->empty() || !(*arch_it)[0].is_string())
    fail(source, ": missing \"architectures\" (a list naming the model class)");
  c.architecture = (*arch_it)[0].get<std::string>();
  const ArchitectureRow* row = nullptr;
  for (const ArchitectureRow& r : architectures())
    if (c.architecture == r.name) row = &r;
  if (!row) {
    std::string list;
    for (const std::string& n : supported_architectures()) list += (list.empty() ? "" : ", ") + n;
    fail(source, ": unsupported architecture \"", c.architecture, "\" (supported: ", list, ")");
  }

  c.hidden_size = get<int64_t>(j, source, "hidden_size");
  c.intermediate_size = get<int64_t>(j, source, "intermediate_size");
  c.num_layers = get<int64_t>(j, source, "num_hidden_layers");
  c.num_heads = get<int64_t>(j, source, "num_attention_heads");
  c.num_kv_heads = get_or<int64_t>(j, source, "num_key_value_heads", c.num_heads);
  c.vocab_size = get<int64_t>(j, source, "vocab_size");
  for (auto [key, v] : {std::pair{"hidden_size", c.hidden_size},
                        {"intermediate_size", c.intermediate_size},
                        {"num_hidden_layers", c.num_layers},
                        {"num_attention_heads", c.num_heads},
                        {"num_key_value_heads", c.num_kv_heads},
                        {"vocab_size", c.vocab_size}})
    positive(source, key, v);
  if (c.num_heads % c.num_kv_heads != 0)
    fail(source, ": num_attention_heads (", c.num_heads, ") is not a multiple of num_key_value_heads (",
         c.num_kv_heads, ")");
  c.head_dim = get_or<int64_t>(j, source, "head_dim", 0);
  if (c.head_dim == 0) {
    if (c.hidden_size % c.num_heads != 0)
      fail(source, ": no \"head_dim\" and hidden_size is not a multiple of num_attention_heads");
    c.head_dim = c.hidden_size / c.num_heads;
  }
  if (c.head_dim <= 0 || c.head_dim % 2 != 0)
    fail(source, ": \"head_dim\" must be positive and even for RoPE, got ", c.head_dim);
  c.max_position_embeddings = get_or<int64_t>(j, source, "max_position_embeddings", 2048);
  positive(source, "max_position_embeddings", c.max_position_embeddings);
  c.rms_norm_eps = get_or<double>(j, source, "rms_norm_eps", 1e-6);
  c.rope_theta = get_or<double>(j, source, "rope_theta", 10000.0);
  if (!(c.rope_theta > 0)) fail(source, ": \"rope_theta\" must be positive");
  c.rope_scaling = rope_scaling(j, source);
  c.tie_word_embeddings = get_or<bool>(j, source, "tie_word_embeddings", false);
  c.torch_dtype = get_or<std::string>(j, source, "torch_dtype", "");
  if (c.torch_dtype.empty()) c.torch_dtype = get_or<std::string>(j, source, "dtype", "float32");
  auto bos = id_list(j, source, "bos_token_id");
  if (!bos.empty()) c.bos_token_id = bos[0];
  c.eos_token_ids = id_list(j, source, "eos_token_id");
  const std::string act = get_or<std::string>(j, source, "hidden_act", "silu");
  if (act != "silu") fail(source, ": hidden_act \"", act, "\" is not supported (supported: silu)");

  const auto window = j.find("sliding_window");
  if (window != j.end() && window->is_number_integer() && get_or<bool>(j, source, "use_sliding_window", true)) {
    c.sliding_window = window->get<int64_t>();
    positive(source, "sliding_window", *c.sliding_window);
  }
  row->apply(j, c);
  return c;
}

ModelConfig load_model_config(const std::string& path) { return parse_model_config(read_text(path), path); }

GenerationDefaults load_generation_defaults(const std::string& path) {
  GenerationDefaults g;
  if (!std::ifstream(path)) return g;
  const json j = parse_json(read_text(path), path);
  auto opt_double = [&](const char* key) -> std::optional<double> {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    return get<double>(j, path, key);
  };
  g.temperature = opt_double("temperature");
  g.top_p = opt_double("top_p");
  g.min_p = opt_double("min_p");
  g.repetition_penalty = opt_double("repetition_penalty");
  if (j.contains("top_k") && !j["top_k"].is_null()) g.top_k = get<int64_t>(j, path, "top_k");
  if (j.contains("do_sample") && !j["do_sample"].is_null()) g.do_sample = get<bool>(j, path, "do_sample");
  auto bos = id_list(j, path, "bos_token_id");
  if (!bos.empty()) g.bos_token_id = bos[0];
  g.eos_token_ids = id_list(j, path, "eos_token_id");
  return g;
}

}  // namespace llmrun
