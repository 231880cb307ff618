#pragma once
#include <vector>

#include "runtime/model_config.h"

namespace llmrun {

// RoPE inverse frequencies [head_dim / 2] as transformers computes them, including
// Llama 3 rescaling when the config asks for it.
std::vector<float> rope_inverse_frequencies(const ModelConfig& config);

}  // namespace llmrun
