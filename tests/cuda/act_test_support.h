#pragma once
// Activation-type helpers shared by the CUDA kernel tests: the conformance ActType of a
// kernel's element type, and host vectors converted to and from it.
#include <type_traits>
#include <vector>

#include "kernels/cuda/act_types.cuh"
#include "tests/cuda/conformance.h"

namespace llmrun::LLMRUN_CUDA_NS {

template <typename T>
::llmrun::testing::ActType act_of() {
  using ::llmrun::testing::ActType;
  static_assert(std::is_same<T, float>::value || std::is_same<T, bf16_t>::value || std::is_same<T, f16_t>::value,
                "an activation type");
  return std::is_same<T, float>::value ? ActType::f32 : std::is_same<T, bf16_t>::value ? ActType::bf16 : ActType::f16;
}

// fp32 values rounded to T (RNE), element by element.
template <typename T>
std::vector<T> to_act(const std::vector<float>& v) {
  std::vector<T> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = from_f32<T>(v[i]);
  return out;
}

// T values widened to fp32 (exact).
template <typename T>
std::vector<float> to_float(const std::vector<T>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = to_f32(v[i]);
  return out;
}

}  // namespace llmrun::LLMRUN_CUDA_NS
