#pragma once
// Tensor shapes as the loaders report them: one element count and one "[a,b]" spelling for
// every file format (safetensors, GGUF).
#include <cstdint>
#include <string>
#include <vector>

namespace llmrun {

// Product of the dimensions (the callers validated them against the file first).
inline int64_t element_count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

// "[2048,2560]".
inline std::string shape_text(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

}  // namespace llmrun
