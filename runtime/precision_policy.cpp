#include "runtime/precision_policy.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/error.h"

namespace llmrun {
namespace {

bool is_attention(const std::string& projection) {
  return projection == "q" || projection == "k" || projection == "v" || projection == "o";
}

WeightFormat parse_format_for(const std::string& flag, const std::string& name) {
  try {
    return parse_weight_format(name);
  } catch (const Error& e) {
    fail(flag, ": ", e.what());
  }
}

}  // namespace

PrecisionPolicy PrecisionPolicy::parse(const std::string& spec, const std::vector<std::string>& tensor_overrides) {
  PrecisionPolicy p;
  p.spec_ = spec;
  if (spec.empty()) fail("--precision: empty value");
  if (spec == "auto") {
  } else if (spec.rfind("mixed:", 0) == 0) {
    static const char* keys[] = {"attn", "mlp", "q", "k", "v", "o", "gate", "up", "down", "embed", "lm_head"};
    std::stringstream items(spec.substr(6));
    for (std::string item; std::getline(items, item, ',');) {
      const size_t eq = item.find('=');
      if (eq == std::string::npos) fail("--precision ", spec, ": '", item, "' is not KEY=FORMAT");
      const std::string key = item.substr(0, eq);
      bool known = false;
      for (const char* k : keys) known |= key == k;
      if (!known)
        fail("--precision ", spec, ": unknown group '", key,
             "' (valid: attn, mlp, q, k, v, o, gate, up, down, embed, lm_head)");
      p.groups_.emplace_back(key, parse_format_for("--precision " + spec, item.substr(eq + 1)));
    }
    if (p.groups_.empty()) fail("--precision ", spec, ": no KEY=FORMAT pairs after 'mixed:'");
  } else if (spec[0] == '@') {
    const std::string path = spec.substr(1);
    std::ifstream in(path);
    if (!in) fail("--precision ", spec, ": cannot open ", path);
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail(path, ": malformed plan (expected a JSON object)");
    if (j.contains("default") && !j["default"].is_null()) {
      if (!j["default"].is_string()) fail(path, ": \"default\" must be a format name");
      p.plan_default_ = parse_format_for(path, j["default"].get<std::string>());
    }
    if (!j.contains("tensors") || !j["tensors"].is_object()) fail(path, ": missing \"tensors\" object");
    for (const auto& [name, fmt] : j["tensors"].items()) {
      if (!fmt.is_string()) fail(path, ": tensor ", name, ": format must be a string");
      p.plan_.emplace_back(name, parse_format_for(path + ": tensor " + name, fmt.get<std::string>()));
    }
  } else {
    p.linear_ = parse_format_for("--precision", spec);
  }
  for (const std::string& o : tensor_overrides) {
    const size_t eq = o.rfind('=');
    if (eq == std::string::npos || eq == 0)
      fail("--tensor-precision '", o, "': expected REGEX=FORMAT");
    const WeightFormat f = parse_format_for("--tensor-precision '" + o + "'", o.substr(eq + 1));
    try {
      p.overrides_.emplace_back(std::regex(o.substr(0, eq), std::regex::ECMAScript), f);
    } catch (const std::regex_error& e) {
      fail("--tensor-precision '", o, "': bad regular expression (", e.what(), ")");
    }
  }
  return p;
}

WeightFormat PrecisionPolicy::format_for(const std::string& name, WeightRole role, WeightFormat baseline) const {
  if (role == WeightRole::vector) return WeightFormat::f32;
  WeightFormat f = baseline;
  const std::string projection = projection_of(name);
  if (linear_ && role == WeightRole::linear) f = *linear_;
  for (const auto& [key, format] : groups_) {
    const bool hit = (key == "embed" && role == WeightRole::embedding) ||
                     (key == "lm_head" && role == WeightRole::lm_head) ||
                     (role == WeightRole::linear &&
                      (key == projection || (key == "attn" && is_attention(projection)) ||
                       (key == "mlp" && !projection.empty() && !is_attention(projection))));
    if (hit) f = format;  // later keys refine earlier ones: mixed:attn=fp8,q=fp16
  }
  if (!plan_.empty() || plan_default_) {
    if (plan_default_ && role == WeightRole::linear) f = *plan_default_;
    for (const auto& [tensor, format] : plan_)
      if (tensor == name) f = format;
  }
  for (const auto& [re, format] : overrides_)
    if (std::regex_search(name, re)) f = format;
  return f;
}

std::vector<WeightFormat> PrecisionPolicy::named_formats() const {
  std::vector<WeightFormat> out;
  if (linear_) out.push_back(*linear_);
  if (plan_default_) out.push_back(*plan_default_);
  for (const auto& [key, format] : groups_) out.push_back(format);
  for (const auto& [tensor, format] : plan_) out.push_back(format);
  for (const auto& [re, format] : overrides_) out.push_back(format);
  return out;
}

void write_precision_plan(const std::string& path, const std::vector<std::pair<std::string, WeightFormat>>& tensors,
                          std::optional<WeightFormat> default_format, const std::string& comment) {
  nlohmann::ordered_json j;
  j["llmrun_plan_version"] = 1;
  j["comment"] = comment;
  j["default"] = default_format ? nlohmann::ordered_json(format_name(*default_format)) : nlohmann::ordered_json();
  j["tensors"] = nlohmann::ordered_json::object();
  for (const auto& [name, f] : tensors) j["tensors"][name] = format_name(f);
  std::ofstream out(path);
  if (!out) fail(path, ": cannot open for writing");
  out << j.dump(2) << "\n";
  if (!out) fail(path, ": write failed");
}

}  // namespace llmrun
