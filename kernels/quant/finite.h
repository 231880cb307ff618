#pragma once
// Encoders require finite input; loaders check a tensor with this before quantizing it and
// report the tensor's name and the offending index.
#include <cmath>
#include <cstdint>

namespace llmrun::quant {

// Index of the first NaN or +-inf in x[n], or -1 when all are finite.
inline int64_t first_non_finite(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return i;
  return -1;
}

inline bool all_finite(const float* x, int64_t n) { return first_non_finite(x, n) < 0; }

}  // namespace llmrun::quant
