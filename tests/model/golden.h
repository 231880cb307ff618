#pragma once
// Reads the transformers goldens in tests/data/models/<name>/ (see its README).
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "loaders/safetensors.h"
#include "tests/test_support.h"

namespace llmrun::testing {

struct Golden {
  std::string dir;
  std::vector<int32_t> prompt_ids, greedy_ids;
  std::unique_ptr<SafetensorsFile> tensors;  // embed, layer.i, final_norm, logits, greedy_logits

  std::vector<float> get(const std::string& name) const { return to_f32(*tensors->find(name)); }
};

inline Golden load_golden(const std::string& name) {
  Golden g;
  g.dir = test_data("models/" + name);
  const auto j = nlohmann::json::parse(read_file(g.dir + "/golden.json"));
  g.prompt_ids = j.at("prompt_ids").get<std::vector<int32_t>>();
  g.greedy_ids = j.at("greedy_ids").get<std::vector<int32_t>>();
  g.tensors = SafetensorsFile::open(g.dir + "/golden.safetensors");
  return g;
}

inline float max_abs(const std::vector<float>& v) {
  float m = 0;
  for (float x : v) m = std::max(m, std::abs(x));
  return m;
}

// Infinite when a value is NaN or infinite where the other is not exactly the same, so a
// bound on it can never pass on garbage (std::max alone would skip NaN differences).
inline float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) {
      if (!(a[i] == b[i])) return INFINITY;  // NaN never equals anything
      continue;
    }
    m = std::max(m, std::abs(a[i] - b[i]));
  }
  return m;
}

}  // namespace llmrun::testing
