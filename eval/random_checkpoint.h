#pragma once
// Random-weight checkpoints with real models' shapes, for speed and memory benchmarks
// where the real weights are not available (values do not change the speed).
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model_config.h"

namespace llmrun::eval {

// "qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "llama-3.2-1b".
std::vector<std::string> random_model_shapes();
ModelConfig random_model_shape(const std::string& name);

// Writes config.json + model.safetensors (bf16, N(0, 0.02) matrices, unit norms) to dir.
void write_random_checkpoint(const ModelConfig& config, const std::string& dir, uint64_t seed);

}  // namespace llmrun::eval
