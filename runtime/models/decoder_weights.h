#pragma once
// The weights of a Llama-family decoder, as backend handles. Optional ones (biases,
// q/k norms, an untied LM head) are null when the architecture has none.
#include <memory>
#include <vector>

#include "runtime/backend.h"

namespace llmrun {

using WeightPtr = std::unique_ptr<Weight>;

struct LayerWeights {
  WeightPtr attn_norm;                    // [1, hidden] fp32
  WeightPtr q, k, v, o;                   // [heads*hd, hidden], [kv*hd, hidden] x2, [hidden, heads*hd]
  WeightPtr q_bias, k_bias, v_bias, o_bias;  // [1, rows of the projection] fp32
  WeightPtr q_norm, k_norm;               // [1, head_dim] fp32 (Qwen3)
  WeightPtr mlp_norm;                     // [1, hidden] fp32
  WeightPtr gate, up, down;               // [ffn, hidden], [ffn, hidden], [hidden, ffn]
  WeightPtr gate_bias, up_bias, down_bias;  // [1, rows] fp32 (mlp_bias)
};

struct DecoderWeights {
  WeightPtr embed;       // [vocab, hidden]
  WeightPtr final_norm;  // [1, hidden] fp32
  WeightPtr lm_head;     // [vocab, hidden]; null when tied to embed
  WeightPtr rope_inv_freq;  // [1, head_dim / 2] fp32
  float rope_attention_factor = 1.0f;  // multiplies RoPE's cos and sin (yarn)
  std::vector<LayerWeights> layers;

  const Weight& head() const { return lm_head ? *lm_head : *embed; }
};

}  // namespace llmrun
