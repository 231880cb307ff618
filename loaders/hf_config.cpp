#include "loaders/hf_config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/error.h"

namespace llmrun {
namespace {

using json = nlohmann::json;

// How an architecture decides which layers use sliding-window attention, as its
// transformers modeling file does.
enum class Sliding {
  never,       // Llama: sliding_window and layer_types are not read
  all_layers,  // Mistral: every layer slides when sliding_window is set
  by_layer,    // Qwen2/Qwen3: layers marked "sliding_attention" in layer_types, with
               // sliding_window only when use_sliding_window is true
};

// One row per architecture: the switches that set it apart from plain Llama.
struct ArchitectureRow {
  const char* name;
  Sliding sliding;
  std::function<void(const json&, const std::string& source, ModelConfig&)> apply;
};

bool flag(const json& j, const std::string& source, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return false;
  if (!it->is_boolean()) fail(source, ": \"", key, "\" must be true or false, got ", it->dump());
  return it->get<bool>();
}

const std::vector<ArchitectureRow>& architectures() {
  static const std::vector<ArchitectureRow> rows = {
      {"LlamaForCausalLM", Sliding::never,
       [](const json& j, const std::string& source, ModelConfig& c) {
         c.qkv_bias = c.o_bias = flag(j, source, "attention_bias");
         c.mlp_bias = flag(j, source, "mlp_bias");
       }},
      {"MistralForCausalLM", Sliding::all_layers, [](const json&, const std::string&, ModelConfig&) {}},
      {"Qwen2ForCausalLM", Sliding::by_layer, [](const json&, const std::string&, ModelConfig& c) { c.qkv_bias = true; }},
      {"Qwen3ForCausalLM", Sliding::by_layer,
       [](const json& j, const std::string& source, ModelConfig& c) {
         c.qk_norm = true;
         c.qkv_bias = c.o_bias = flag(j, source, "attention_bias");
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

// The value of key, or null when it is absent or JSON null.
const json* find(const json& j, const char* key) {
  auto it = j.find(key);
  return (it == j.end() || it->is_null()) ? nullptr : &*it;
}

// Reads key as T (strings, bools); error names the file and key when it is absent (and
// required) or has the wrong type. Numbers go through number()/integer() below.
template <typename T>
T get(const json& j, const std::string& source, const char* key) {
  const json* v = find(j, key);
  if (!v) fail(source, ": missing \"", key, "\"");
  try {
    return v->get<T>();
  } catch (const json::exception&) {
    fail(source, ": \"", key, "\" has the wrong type (", v->type_name(), ")");
  }
}

template <typename T>
T get_or(const json& j, const std::string& source, const char* key, T fallback) {
  return find(j, key) ? get<T>(j, source, key) : fallback;
}

// A JSON number, finite and in [lo, hi]; `name` is the key as the user sees it
// ("rope_parameters.factor").
double number(const json& v, const std::string& source, const std::string& name, double lo, double hi) {
  if (!v.is_number()) fail(source, ": \"", name, "\" must be a number, got ", v.dump());
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < lo || d > hi)
    fail(source, ": \"", name, "\" must be in [", lo, ", ", hi, "], got ", v.dump());
  return d;
}

// A JSON number with an integral value in [lo, hi] (checked in double before any
// conversion: get<int64_t> on 3.9e20 would be undefined behaviour).
int64_t integer(const json& v, const std::string& source, const std::string& name, int64_t lo, int64_t hi) {
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    const int64_t i = v.get<int64_t>();
    if (i < lo || i > hi) fail(source, ": \"", name, "\" must be in [", lo, ", ", hi, "], got ", i);
    return i;
  }
  if (!v.is_number()) fail(source, ": \"", name, "\" must be an integer, got ", v.dump());
  const double d = v.get<double>();
  if (!std::isfinite(d) || d != std::floor(d)) fail(source, ": \"", name, "\" must be an integer, got ", v.dump());
  if (d < double(lo) || d > double(hi)) fail(source, ": \"", name, "\" must be in [", lo, ", ", hi, "], got ", v.dump());
  return int64_t(d);
}

double number_at(const json& j, const std::string& source, const char* key, double lo, double hi) {
  const json* v = find(j, key);
  if (!v) fail(source, ": missing \"", key, "\"");
  return number(*v, source, key, lo, hi);
}
double number_or(const json& j, const std::string& source, const char* key, double lo, double hi, double fallback) {
  return find(j, key) ? number_at(j, source, key, lo, hi) : fallback;
}
int64_t integer_at(const json& j, const std::string& source, const char* key, int64_t lo, int64_t hi) {
  const json* v = find(j, key);
  if (!v) fail(source, ": missing \"", key, "\"");
  return integer(*v, source, key, lo, hi);
}
int64_t integer_or(const json& j, const std::string& source, const char* key, int64_t lo, int64_t hi,
                   int64_t fallback) {
  return find(j, key) ? integer_at(j, source, key, lo, hi) : fallback;
}

constexpr int64_t kMaxId = 0x7fffffff;         // token ids and positions are int32
constexpr int64_t kMaxWidth = int64_t(1) << 20;  // hidden/intermediate size, vocab/16
constexpr int64_t kMaxCount = 4096;            // layers, heads

// bos/eos ids may be an int or a list of ints.
std::vector<int32_t> id_list(const json& j, const std::string& source, const char* key) {
  const json* v = find(j, key);
  if (!v) return {};
  if (v->is_number()) return {int32_t(integer(*v, source, key, 0, kMaxId))};
  if (v->is_array()) {
    std::vector<int32_t> ids;
    for (const json& id : *v) ids.push_back(int32_t(integer(id, source, key, 0, kMaxId)));
    return ids;
  }
  fail(source, ": \"", key, "\" must be an integer or a list of integers");
}

// The RoPE settings, from either layout transformers writes:
//   4.x: "rope_theta": 1e6, "rope_scaling": {"rope_type": "yarn", "factor": 4, ...} | null
//   5.x: "rope_parameters": {"rope_theta": 1e6, "rope_type": "yarn", "factor": 4, ...}
// A value both layouts give must agree (transformers 4 and 5 would each read a different one).
void read_rope(const json& j, const std::string& source, ModelConfig& c) {
  const json* params = find(j, "rope_parameters");
  const json* scaling = find(j, "rope_scaling");
  if (params && !params->is_object()) fail(source, ": \"rope_parameters\" must be an object");
  if (scaling && !scaling->is_object()) fail(source, ": \"rope_scaling\" must be an object");
  if (params && scaling && *params != *scaling) {
    // 5.x reads rope_scaling into rope_parameters: a config with both is one dict twice,
    // or rope_parameters holds the theta as well.
    json a = *params, b = *scaling;
    a.erase("rope_theta"), b.erase("rope_theta");
    if (a != b) fail(source, ": \"rope_parameters\" and \"rope_scaling\" disagree (", params->dump(), " vs ",
                     scaling->dump(), ")");
  }
  const json empty = json::object();
  const json& p = params ? *params : scaling ? *scaling : empty;
  const std::string where = params ? "rope_parameters" : "rope_scaling";
  auto key = [&](const char* k) { return where + "." + k; };
  for (const char* layer_type : {"full_attention", "sliding_attention"})
    if (p.contains(layer_type))
      fail(source, ": \"", where, "\" nested per layer type (\"", layer_type, "\") is not supported");

  // rope_theta: inside rope_parameters (5.x) or at the top level (4.x), default 10000.
  const json* theta_in = find(p, "rope_theta");
  const json* theta_top = find(j, "rope_theta");
  constexpr double kMaxTheta = 1e12;
  if (theta_in && theta_top &&
      number(*theta_in, source, key("rope_theta"), 1e-12, kMaxTheta) !=
          number(*theta_top, source, "rope_theta", 1e-12, kMaxTheta))
    fail(source, ": \"rope_theta\" (", theta_top->dump(), ") and \"", key("rope_theta"), "\" (", theta_in->dump(),
         ") disagree");
  c.rope_theta = theta_in ? number(*theta_in, source, key("rope_theta"), 1e-12, kMaxTheta)
                 : theta_top ? number(*theta_top, source, "rope_theta", 1e-12, kMaxTheta)
                             : 10000.0;

  // RoPE on part of each head only (partial_rotary_factor < 1) is not implemented.
  for (const auto& [obj, name] : {std::pair{&j, std::string("partial_rotary_factor")},
                                  std::pair{&p, key("partial_rotary_factor")}}) {
    const json* f = find(*obj, "partial_rotary_factor");
    if (f && !(f->is_number() && f->get<double>() == 1.0))
      fail(source, ": \"", name, "\" = ", f->dump(), " is not supported (RoPE over the whole head only)");
  }

  std::string type = "default";
  const json* rope_type = find(p, "rope_type");
  const json* old_type = find(p, "type");
  for (const json* t : {rope_type, old_type})
    if (t && !t->is_string()) fail(source, ": \"", key(t == rope_type ? "rope_type" : "type"), "\" must be a string");
  if (rope_type && old_type && *rope_type != *old_type)
    fail(source, ": \"", key("rope_type"), "\" (", rope_type->dump(), ") and \"", key("type"), "\" (",
         old_type->dump(), ") disagree");
  if (rope_type) type = rope_type->get<std::string>();
  else if (old_type) type = old_type->get<std::string>();

  RopeScaling& s = c.rope_scaling;
  const std::vector<std::pair<std::string, RopeType>> types = {{"default", RopeType::none},
                                                               {"linear", RopeType::linear},
                                                               {"dynamic", RopeType::dynamic},
                                                               {"yarn", RopeType::yarn},
                                                               {"llama3", RopeType::llama3},
                                                               {"freq_factors", RopeType::freq_factors}};
  auto known = std::find_if(types.begin(), types.end(), [&](const auto& t) { return t.first == type; });
  if (known == types.end())
    fail(source, ": \"", key(rope_type || !old_type ? "rope_type" : "type"), "\" = \"", type,
         "\" is not supported (supported: default, linear, dynamic, yarn, llama3, freq_factors)");
  s.type = known->second;
  if (s.type == RopeType::none) return;
  if (s.type == RopeType::freq_factors) {
    const json* f = find(p, "freq_factors");
    if (!f || !f->is_array() || f->size() != size_t(c.head_dim / 2))
      fail(source, ": \"", key("freq_factors"), "\" must be a list of head_dim / 2 (", c.head_dim / 2,
           ") numbers for rope_type \"freq_factors\"");
    s.freq_factors.clear();
    for (const json& v : *f) s.freq_factors.push_back(number(v, source, key("freq_factors"), 1e-6, 65536));
    return;
  }

  auto num = [&](const char* k, double lo, double hi) -> std::optional<double> {
    const json* v = find(p, k);
    if (!v) return std::nullopt;
    return number(*v, source, key(k), lo, hi);
  };
  auto required = [&](const char* k, double lo, double hi) {
    auto v = num(k, lo, hi);
    if (!v) fail(source, ": \"", key(k), "\" is required for rope_type \"", type, "\"");
    return *v;
  };
  constexpr double kMaxFactor = 65536;
  s.factor = required("factor", 1e-6, kMaxFactor);

  // A top-level original_max_position_embeddings is read by transformers 5 (it overrides
  // the one in rope_parameters) but not by 4.x: refuse unless both say the same.
  const json* orig_in = find(p, "original_max_position_embeddings");
  const json* orig_top = find(j, "original_max_position_embeddings");
  if (orig_in) s.original_max_position_embeddings = integer(*orig_in, source, key("original_max_position_embeddings"), 1, kMaxId);
  if (orig_top && (s.type == RopeType::yarn || s.type == RopeType::llama3) &&
      (!orig_in || integer(*orig_top, source, "original_max_position_embeddings", 1, kMaxId) !=
                       s.original_max_position_embeddings))
    fail(source, ": top-level \"original_max_position_embeddings\" (", orig_top->dump(),
         ") differs from \"", key("original_max_position_embeddings"), "\" (", orig_in ? orig_in->dump() : "absent",
         "); transformers 4 and 5 read different ones");

  if (s.type == RopeType::llama3) {
    if (!orig_in) fail(source, ": \"", key("original_max_position_embeddings"), "\" is required for rope_type \"llama3\"");
    s.low_freq_factor = required("low_freq_factor", 1e-6, kMaxFactor);
    s.high_freq_factor = required("high_freq_factor", 1e-6, kMaxFactor);
    if (!(s.high_freq_factor > s.low_freq_factor))
      fail(source, ": \"", key("high_freq_factor"), "\" (", s.high_freq_factor, ") must exceed \"",
           key("low_freq_factor"), "\" (", s.low_freq_factor, ")");
  }
  if (s.type == RopeType::yarn) {
    s.attention_factor = num("attention_factor", 1e-6, 1e3);
    // transformers: `get("beta_fast") or 32` -- 0 means the default too.
    s.beta_fast = num("beta_fast", 0, 1e6).value_or(0);
    s.beta_slow = num("beta_slow", 0, 1e6).value_or(0);
    if (s.beta_fast == 0) s.beta_fast = 32;
    if (s.beta_slow == 0) s.beta_slow = 1;
    s.mscale = num("mscale", -1e3, 1e3);
    s.mscale_all_dim = num("mscale_all_dim", -1e3, 1e3);
    if (const json* t = find(p, "truncate")) {
      if (!t->is_boolean()) fail(source, ": \"", key("truncate"), "\" must be true or false, got ", t->dump());
      s.truncate = t->get<bool>();
    }
  }
}

// Which layers slide (layer_types, or the rule transformers derives it by), and the
// window: ModelConfig caps the context there, where full attention equals sliding.
void read_sliding_window(const json& j, const std::string& source, Sliding sliding, ModelConfig& c) {
  std::vector<std::string> layer_types;
  if (const json* lt = find(j, "layer_types")) {
    if (!lt->is_array() || lt->size() != size_t(c.num_layers))
      fail(source, ": \"layer_types\" must be a list of num_hidden_layers (", c.num_layers, ") strings");
    for (const json& t : *lt) {
      if (!t.is_string() || (t != "full_attention" && t != "sliding_attention"))
        fail(source, ": \"layer_types\" entry ", t.dump(),
             " is not supported (supported: \"full_attention\", \"sliding_attention\")");
      layer_types.push_back(t.get<std::string>());
    }
  }
  std::optional<int64_t> window;
  if (find(j, "sliding_window")) window = integer_at(j, source, "sliding_window", 1, kMaxId);
  switch (sliding) {
    case Sliding::never:
      return;
    case Sliding::all_layers:
      c.sliding_window = window;
      return;
    case Sliding::by_layer: {
      if (!get_or<bool>(j, source, "use_sliding_window", false)) window.reset();
      if (layer_types.empty()) {
        const int64_t full_layers = integer_or(j, source, "max_window_layers", 0, kMaxCount, 28);
        for (int64_t i = 0; i < c.num_layers; ++i)
          layer_types.push_back(window && i >= full_layers ? "sliding_attention" : "full_attention");
      }
      const auto first = std::find(layer_types.begin(), layer_types.end(), "sliding_attention");
      if (first == layer_types.end()) return;
      if (!window)
        fail(source, ": \"layer_types\" marks layer ", first - layer_types.begin(),
             " \"sliding_attention\" but there is no window (\"use_sliding_window\" false or \"sliding_window\" null)");
      c.sliding_window = window;
      return;
    }
  }
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

  c.hidden_size = integer_at(j, source, "hidden_size", 1, kMaxWidth);
  c.intermediate_size = integer_at(j, source, "intermediate_size", 1, kMaxWidth);
  c.num_layers = integer_at(j, source, "num_hidden_layers", 1, kMaxCount);
  c.num_heads = integer_at(j, source, "num_attention_heads", 1, kMaxCount);
  c.num_kv_heads = integer_or(j, source, "num_key_value_heads", 1, kMaxCount, c.num_heads);
  c.vocab_size = integer_at(j, source, "vocab_size", 1, 16 * kMaxWidth);
  if (c.num_heads % c.num_kv_heads != 0)
    fail(source, ": num_attention_heads (", c.num_heads, ") is not a multiple of num_key_value_heads (",
         c.num_kv_heads, ")");
  c.head_dim = integer_or(j, source, "head_dim", 0, kMaxCount, 0);
  if (c.head_dim == 0) {
    if (c.hidden_size % c.num_heads != 0)
      fail(source, ": no \"head_dim\" and hidden_size is not a multiple of num_attention_heads");
    c.head_dim = c.hidden_size / c.num_heads;
  }
  if (c.head_dim <= 0 || c.head_dim % 2 != 0)
    fail(source, ": \"head_dim\" must be positive and even for RoPE, got ", c.head_dim);
  c.max_position_embeddings = integer_or(j, source, "max_position_embeddings", 1, kMaxId, 2048);
  c.rms_norm_eps = number_or(j, source, "rms_norm_eps", 1e-30, 1.0, 1e-6);
  read_rope(j, source, c);
  c.tie_word_embeddings = get_or<bool>(j, source, "tie_word_embeddings", false);
  // transformers 4.x writes "torch_dtype", 5.x "dtype".
  const std::string torch_dtype = get_or<std::string>(j, source, "torch_dtype", "");
  const std::string dtype = get_or<std::string>(j, source, "dtype", "");
  if (!torch_dtype.empty() && !dtype.empty() && torch_dtype != dtype)
    fail(source, ": \"torch_dtype\" (\"", torch_dtype, "\") and \"dtype\" (\"", dtype, "\") disagree");
  c.torch_dtype = !dtype.empty() ? dtype : !torch_dtype.empty() ? torch_dtype : "float32";
  if (c.torch_dtype != "float32" && c.torch_dtype != "bfloat16" && c.torch_dtype != "float16")
    fail(source, ": \"", dtype.empty() ? "torch_dtype" : "dtype", "\" = \"", c.torch_dtype,
         "\" is not supported (supported: float32, bfloat16, float16)");
  auto bos = id_list(j, source, "bos_token_id");
  if (!bos.empty()) c.bos_token_id = bos[0];
  c.eos_token_ids = id_list(j, source, "eos_token_id");
  // transformers' ACT2FN maps both names to SiLU.
  const std::string act = get_or<std::string>(j, source, "hidden_act", "silu");
  if (act != "silu" && act != "swish")
    fail(source, ": \"hidden_act\" = \"", act, "\" is not supported (supported: silu, swish)");
  if (const json* q = find(j, "quantization_config")) {
    const json* method = q->is_object() ? find(*q, "quant_method") : nullptr;
    fail(source, ": \"quantization_config\" (quant_method ", method ? method->dump() : "absent",
         ") is not supported: llmrun reads float checkpoints and its own quantized ones");
  }
  read_sliding_window(j, source, row->sliding, c);
  row->apply(j, source, c);
  return c;
}

ModelConfig load_model_config(const std::string& path) { return parse_model_config(read_text(path), path); }

GenerationDefaults load_generation_defaults(const std::string& path) {
  GenerationDefaults g;
  if (!std::ifstream(path)) return g;
  const json j = parse_json(read_text(path), path);
  // The ranges the sampler accepts, checked here so a bad value is reported as this file's.
  auto opt_double = [&](const char* key, double lo, double hi, bool lo_open) -> std::optional<double> {
    if (!find(j, key)) return std::nullopt;
    const double v = number_at(j, path, key, lo, hi);
    if (lo_open && v == lo) fail(path, ": \"", key, "\" must be in (", lo, ", ", hi, "], got ", v);
    return v;
  };
  g.temperature = opt_double("temperature", 0, 1e6, false);
  g.top_p = opt_double("top_p", 0, 1, true);
  g.min_p = opt_double("min_p", 0, 1, false);
  g.repetition_penalty = opt_double("repetition_penalty", 0, 1e6, true);
  if (find(j, "top_k")) g.top_k = integer_at(j, path, "top_k", 0, kMaxId);
  if (j.contains("do_sample") && !j["do_sample"].is_null()) g.do_sample = get<bool>(j, path, "do_sample");
  auto bos = id_list(j, path, "bos_token_id");
  if (!bos.empty()) g.bos_token_id = bos[0];
  g.eos_token_ids = id_list(j, path, "eos_token_id");
  return g;
}

}  // namespace llmrun
