#include "runtime/importance_matrix.h"

#include <cmath>
#include <cstring>

#include "loaders/safetensors.h"
#include "runtime/error.h"

namespace llmrun {

ImportanceMatrix read_importance_matrix(const std::string& path) {
  const auto file = SafetensorsFile::open(path);
  const auto& meta = file->metadata();
  const auto marker = meta.find(kImportanceMarkerKey);
  if (marker == meta.end() || marker->second != kImportanceMarker)
    fail(path, ": not an importance matrix (no ", kImportanceMarkerKey, " = ", kImportanceMarker,
         " in its metadata; `llmeval imatrix` writes one)");
  ImportanceMatrix m;
  m.path = path;
  const auto tokens = meta.find(kImportanceTokensKey);
  if (tokens != meta.end()) {
    char* end = nullptr;
    m.tokens = std::strtoll(tokens->second.c_str(), &end, 10);
    if (end == tokens->second.c_str() || *end != '\0' || m.tokens < 0)
      fail(path, ": ", kImportanceTokensKey, " is '", tokens->second, "', not a token count");
  }
  for (const TensorView& t : file->tensors()) {
    if (t.dtype != DType::f32 || t.shape.size() != 1)
      fail(path, ": ", t.name, ": ", dtype_name(t.dtype), " ", t.shape_str(), ", expected F32 [cols]");
    std::vector<float> v(static_cast<size_t>(t.numel()));
    if (t.nbytes) std::memcpy(v.data(), t.data, t.nbytes);
    for (size_t j = 0; j < v.size(); ++j)
      if (!(std::isfinite(v[j]) && v[j] >= 0.0f))
        fail(path, ": ", t.name, ": value ", v[j], " at input ", j, " (importances are finite and >= 0)");
    m.by_weight.emplace(t.name, std::move(v));
  }
  if (m.by_weight.empty()) fail(path, ": an importance matrix without tensors");
  return m;
}

std::optional<ImportanceMatrix> read_importance_matrix_if_given(const std::string& path) {
  if (path.empty()) return std::nullopt;
  return read_importance_matrix(path);
}

void write_importance_matrix(const std::string& path, const ImportanceMatrix& m,
                             const std::map<std::string, std::string>& info) {
  std::vector<TensorToWrite> tensors;
  for (const auto& [name, values] : m.by_weight) {
    TensorToWrite t{name, DType::f32, {int64_t(values.size())}, std::vector<uint8_t>(values.size() * sizeof(float))};
    if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
    tensors.push_back(std::move(t));
  }
  std::map<std::string, std::string> meta = info;
  meta[kImportanceMarkerKey] = kImportanceMarker;
  meta[kImportanceTokensKey] = std::to_string(m.tokens);
  write_safetensors(path, tensors, meta);
}

}  // namespace llmrun
