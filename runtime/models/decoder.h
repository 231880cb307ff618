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

// Which rows' logits a forward returns: each sequence's last, all of them, or each
// sequence's last Sequence::tail (scoring a continuation: the LM head, a fifth of a small
// model's work per row, runs on those rows only).
enum class LogitRows { last, all, tail };

class DecoderModel {
 public:
  DecoderModel(ModelConfig config, DecoderWeights weights, Backend& backend);

  const ModelConfig& config() const { return config_; }
  Backend& backend() { return backend_; }
  const DecoderWeights& weights() const { return weights_; }
  // For tools that swap single weights (llmeval sensitivity); shapes must not change.
  DecoderWeights& mutable_weights() {
    decode_graph_ = DecodeGraph();  // a captured step holds the old weights' addresses
    return weights_;
  }

  KvCache new_cache(int64_t capacity);

  // Makes the workspace hold forwards of up to `tokens` rows at once. forward() grows it
  // when given more; a caller that knows its largest batch reserves once, so no forward
  // allocates (and buffer addresses stay fixed for captured steps).
  void reserve(int64_t tokens);

  // Runs ids at positions [cache.size(), cache.size() + n) as one batch, appending to
  // the cache. Returns fp32 logits [1 or n, vocab] row-major. Ids out of range or a
  // full cache are errors that say so.
  std::vector<float> forward(const std::vector<int32_t>& ids, KvCache& cache,
                             LogitRows rows = LogitRows::last,
                             const ForwardObserver& observe = nullptr);

  // Several independent sequences in one pass, each with its own cache: the matrix
  // products run over all their tokens together (throughput), attention per sequence.
  // Logits: every row of every sequence in order (all), each sequence's last (last), or
  // each sequence's last `tail` rows in order (tail; 1 <= tail <= its ids).
  struct Sequence {
    const std::vector<int32_t>* ids;
    KvCache* cache;
    int64_t tail = 1;
  };
  std::vector<float> forward_batch(const std::vector<Sequence>& sequences, LogitRows rows = LogitRows::all,
                                   const ForwardObserver& observe = nullptr);

  // Runs ids like forward(ids, cache, LogitRows::all) from layer `first_layer` on, with
  // `layer_input` ([ids, hidden] f32) as the residual stream entering that layer: what
  // forward's observer saw as "embed" (first_layer 0) or "layer.<first_layer - 1>" for the
  // same ids and cache state. For tools that change one layer's weights and measure again
  // (llmeval sensitivity): the layers before it would only repeat their numbers. The
  // cache's entries of the skipped layers are not written.
  std::vector<float> forward_from_layer(int64_t first_layer, const Tensor& layer_input, const std::vector<int32_t>& ids,
                                        KvCache& cache);

  // Runs ids like forward() and returns the id of the largest last-row logit, chosen on
  // the backend: only one id crosses to the host (greedy decoding).
  int32_t forward_argmax(const std::vector<int32_t>& ids, KvCache& cache);
  // The same, drawing the id on the backend (Backend::sample) under `params` at the uniform
  // u in [0, 1); callers check backend().supports(Op::sample, ..., activation_dtype()).
  int32_t forward_sample(const std::vector<int32_t>& ids, KvCache& cache, const SamplingParams& params, float u);
  // The dtype of activations and logits on the backend for this checkpoint.
  TensorType activation_dtype() const { return act_; }

 private:
  // Every activation buffer, allocated once per capacity (rows); a forward of n rows uses
  // views of their first n rows.
  struct Workspace {
    int64_t capacity = 0;
    std::unique_ptr<Tensor> step_inputs;      // [2 * cap, 1] i32: a step's n ids, then their n positions
    std::unique_ptr<Tensor> residual;         // [cap, hidden] f32: the residual stream
    std::unique_ptr<Tensor> normed, block;    // [cap, hidden] activation dtype
    std::unique_ptr<Tensor> q, attn;          // [cap, heads * head_dim]
    std::unique_ptr<Tensor> k, v;             // [cap, kv_heads * head_dim]
    std::unique_ptr<Tensor> gate, up;         // [cap, ffn]
    std::unique_ptr<Tensor> head_in;          // [cap, hidden] f32: rows whose logits are wanted
    std::unique_ptr<Tensor> final_normed;     // [cap, hidden]
    std::unique_ptr<Tensor> logits;           // [cap, vocab]
    std::unique_ptr<Tensor> next_ids;         // [cap, 1] i32
  };
  // Checks the sequences, uploads their ids and positions (the one upload of a step) and
  // describes them for attention.
  AttentionBatch prepare(const std::vector<Sequence>& sequences);
  // Issues the layers and the head for `batch` (no uploads, no reads: capturable); the
  // logits stay on the backend in workspace_.logits (its first `out_rows` rows).
  // first_layer > 0 starts there from layer_input instead of the embedding. head_rows: how
  // many of each segment's last rows go through the head (empty: every row). Returns the
  // number of logit rows written.
  int64_t compute(const AttentionBatch& batch, int64_t n, const std::vector<int64_t>& head_rows,
                  const ForwardObserver& observe, int64_t first_layer = 0, const Tensor* layer_input = nullptr);
  // The first `rows` rows of workspace_.logits, copied to the host.
  std::vector<float> logits_on_host(int64_t rows);
  void run(const std::vector<Sequence>& sequences, LogitRows rows, const ForwardObserver& observe,
           int64_t* out_rows);
  // One decode step of one sequence, replayed from a captured graph where the backend can
  // capture (captured on the second step, once lazily sized buffers exist). Greedy
  // (sampling null): the argmax is part of the graph; sampling: the graph holds the forward
  // and the sample runs after it, eagerly (it uploads its uniform).
  int32_t decode_step(int32_t id, KvCache& cache, const SamplingParams* sampling = nullptr, float u = 0.0f);
  void attention_block(int64_t layer, const Tensor& normed, const AttentionBatch& batch, Tensor& out);
  void mlp_block(int64_t layer, const Tensor& normed, Tensor& out);

  ModelConfig config_;
  DecoderWeights weights_;
  Backend& backend_;
  TensorType act_;  // the backend's activation dtype for this checkpoint
  Workspace workspace_;
  // The captured decode step: valid for one cache and one workspace allocation.
  struct DecodeGraph {
    uint64_t cache = 0;  // KvCache::serial(): never reused, unlike a freed cache's address
    int64_t workspace_capacity = 0;
    int steps_seen = 0;  // eager steps run for this cache before capturing
    bool with_argmax = true;  // whether the captured step ends with the argmax
    int capture = -1;
  };
  DecodeGraph decode_graph_;
};

}  // namespace llmrun
