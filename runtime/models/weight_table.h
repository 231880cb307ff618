#pragma once
// The one table from Hugging Face tensor names to our weight slots, with the shape
// each must have. Loading walks it; nothing else knows HF names.
#include <string>
#include <vector>

#include "runtime/model_config.h"
#include "runtime/models/decoder_weights.h"

namespace llmrun {

enum class WeightRole { embedding, lm_head, linear, vector };

struct WeightSlot {
  std::string hf_name;          // "model.layers.3.self_attn.q_proj.weight"
  WeightRole role;
  int64_t rows, cols;           // expected [rows, cols]; vectors: rows = 1, file shape [cols]
  WeightPtr* target;            // where the uploaded weight goes
};

std::vector<WeightSlot> weight_table(const ModelConfig& config, DecoderWeights& weights);

// The projection a linear tensor belongs to: "q", "k", "v", "o", "gate", "up", "down";
// empty for any other tensor.
std::string projection_of(const std::string& hf_name);

// File tensors we know and deliberately do not load (e.g. lm_head.weight of a tied
// model, rotary caches written by old exporters).
bool is_ignored_tensor(const ModelConfig& config, const std::string& hf_name);

}  // namespace llmrun
