#pragma once
#include <vector>

#include "runtime/model_config.h"

namespace llmrun {

// What RoPE needs, as transformers computes it (modeling_rope_utils.py, 4.57 and 5.x agree
// for these types): row r at position p rotates pair i by the fp32 angle p * inv_freq[i],
// and cos/sin are multiplied by attention_factor (yarn's "mscale"; 1 for the others).
struct RopeTable {
  std::vector<float> inv_freq;     // [head_dim / 2] fp32
  float attention_factor = 1.0f;
};

// default, linear, dynamic (equal to default at every position below
// max_position_embeddings, the only ones llmrun runs: see DecoderModel::new_cache),
// yarn, llama3. Arithmetic in fp32 where transformers' is (torch tensors), in double
// where it is Python floats.
RopeTable rope_table(const ModelConfig& config);

}  // namespace llmrun
