#pragma once
// The Llama-family decoder (Llama, Mistral, Qwen2, Qwen3): pre-norm blocks of
// attention (optional q/k biases and per-head q/k RMSNorm, rotate-half RoPE, GQA) and a
// SwiGLU MLP, built from backend ops only.
#include <functional>
#include <string>
#include <vector>

#include "runtime/backend.h"
#include "runtime/kv_cache.h"
#include "runtime/model_config.h"
#include "runtime/models/decoder_weights.h"

namespace llmrun {

// Sees named intermediate results ("embed", "layer.3", "final_norm") as they are made;
// tests compare them with transformers' hidden states.
using ForwardObserver = std::function<void(const std::string& name, const Tensor& value)>;

enum class LogitRows { last, all };

class DecoderModel {
 public:
  DecoderModel(ModelConfig config, DecoderWeights weights, Backend& backend);

  const ModelConfig& config() const { return config_; }
  Backend& backend() { return backend_; }
  const DecoderWeights& weights() const { return weights_; }
  // For tools that swap single weights (llmeval sensitivity); shapes must not change.
  DecoderWeights& mutable_weights() { return weights_; }

  KvCache new_cache(int64_t capacity);

  // Runs ids at positions [cache.size(), cache.size() + n) as one batch, appending to
  // the cache. Returns fp32 logits [1 or n, vocab] row-major. Ids out of range or a
  // full cache are errors that say so.
  std::vector<float> forward(const std::vector<int32_t>& ids, KvCache& cache,
                             LogitRows rows = LogitRows::last,
                             const ForwardObserver& observe = nullptr);

  // Several independent sequences in one pass, each with its own cache: the matrix
  // products run over all their tokens together (throughput), attention per sequence.
  // Logits: every row of every sequence in order (all), or each sequence's last (last).
  struct Sequence {
    const std::vector<int32_t>* ids;
    KvCache* cache;
  };
  std::vector<float> forward_batch(const std::vector<Sequence>& sequences, LogitRows rows = LogitRows::all,
                                   const ForwardObserver& observe = nullptr);

 private:
  struct Segment {
    int64_t first_row, rows, start_pos;
    KvCache* cache;
  };
  void attention_block(int64_t layer, const Tensor& normed, const std::vector<Segment>& segments, Tensor& out);
  void mlp_block(int64_t layer, const Tensor& normed, Tensor& out);

  ModelConfig config_;
  DecoderWeights weights_;
  Backend& backend_;
};

}  // namespace llmrun
