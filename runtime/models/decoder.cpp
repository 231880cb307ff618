#include "runtime/models/decoder.h"

#include <numeric>

#include "runtime/error.h"
#include "runtime/model_loader.h"

namespace llmrun {

DecoderModel::DecoderModel(ModelConfig config, DecoderWeights weights, Backend& backend)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      backend_(backend),
      act_(backend.activation_dtype(baseline_format(config_))) {}

KvCache DecoderModel::new_cache(int64_t capacity) {
  // transformers' dynamic NTK RoPE recomputes its frequencies once a sequence passes
  // max_position_embeddings (and keeps the keys cached before that): not implemented, and
  // below that it equals plain RoPE, so a cache never reaches past it.
  if (config_.rope_scaling.type == RopeType::dynamic && capacity > config_.max_position_embeddings)
    fail("context ", capacity, " exceeds max_position_embeddings ", config_.max_position_embeddings,
         ": \"dynamic\" RoPE rescaling beyond it is not supported");
  return KvCache(backend_, config_.num_layers, config_.num_kv_heads, config_.head_dim, capacity, act_);
}

void DecoderModel::reserve(int64_t tokens) {
  if (tokens <= workspace_.capacity) return;
  // Grow in powers of two: prompts of many lengths then reallocate only a few times.
  int64_t cap = 16;
  while (cap < tokens) cap *= 2;
  const ModelConfig& c = config_;
  const int64_t q_cols = c.num_heads * c.head_dim, kv_cols = c.num_kv_heads * c.head_dim;
  Workspace w;
  w.capacity = cap;
  w.step_inputs = backend_.alloc(2 * cap, 1, TensorType::i32);
  w.residual = backend_.alloc(cap, c.hidden_size, TensorType::f32);
  w.normed = backend_.alloc(cap, c.hidden_size, act_);
  w.block = backend_.alloc(cap, c.hidden_size, act_);
  w.q = backend_.alloc(cap, q_cols, act_);
  w.attn = backend_.alloc(cap, q_cols, act_);
  w.k = backend_.alloc(cap, kv_cols, act_);
  w.v = backend_.alloc(cap, kv_cols, act_);
  w.gate = backend_.alloc(cap, c.intermediate_size, act_);
  w.up = backend_.alloc(cap, c.intermediate_size, act_);
  w.head_in = backend_.alloc(cap, c.hidden_size, TensorType::f32);
  w.final_normed = backend_.alloc(cap, c.hidden_size, act_);
  w.logits = backend_.alloc(cap, c.vocab_size, act_);
  w.next_ids = backend_.alloc(cap, 1, TensorType::i32);
  workspace_ = std::move(w);
}

std::vector<float> DecoderModel::forward(const std::vector<int32_t>& ids, KvCache& cache,
                                         LogitRows rows, const ForwardObserver& observe) {
  return forward_batch({{&ids, &cache}}, rows, observe);
}

std::vector<float> DecoderModel::forward_batch(const std::vector<Sequence>& sequences, LogitRows rows,
                                               const ForwardObserver& observe) {
  int64_t out_rows = 0;
  run(sequences, rows, observe, &out_rows);
  return logits_on_host(out_rows);
}

std::vector<float> DecoderModel::logits_on_host(int64_t rows) {
  std::vector<float> host(static_cast<size_t>(rows * config_.vocab_size));
  backend_.to_host(*backend_.view_rows(*workspace_.logits, 0, rows), host.data());
  return host;
}

std::vector<float> DecoderModel::forward_from_layer(int64_t first_layer, const Tensor& layer_input,
                                                    const std::vector<int32_t>& ids, KvCache& cache) {
  if (first_layer < 0 || first_layer >= config_.num_layers)
    fail("forward_from_layer: layer ", first_layer, " of a ", config_.num_layers, "-layer model");
  if (layer_input.rows() != int64_t(ids.size()) || layer_input.cols() != config_.hidden_size ||
      layer_input.dtype() != TensorType::f32)
    fail("forward_from_layer: the layer input must be [", ids.size(), ", ", config_.hidden_size, "] f32");
  const AttentionBatch batch = prepare({{&ids, &cache}});
  const int64_t n = int64_t(ids.size());
  const int64_t rows = compute(batch, n, {}, nullptr, first_layer, &layer_input);
  cache.advance(n);
  return logits_on_host(rows);
}

int32_t DecoderModel::forward_argmax(const std::vector<int32_t>& ids, KvCache& cache) {
  if (ids.size() == 1 && backend_.can_capture()) return decode_step(ids[0], cache);
  int64_t out_rows = 0;
  run({{&ids, &cache}}, LogitRows::last, nullptr, &out_rows);
  auto logits = backend_.view_rows(*workspace_.logits, 0, 1);
  auto next = backend_.view_rows(*workspace_.next_ids, 0, 1);
  backend_.argmax(*logits, *next);
  return backend_.read_i32(*next).at(0);
}

int32_t DecoderModel::forward_sample(const std::vector<int32_t>& ids, KvCache& cache, const SamplingParams& params,
                                     float u) {
  if (ids.size() == 1 && backend_.can_capture()) return decode_step(ids[0], cache, &params, u);
  int64_t out_rows = 0;
  run({{&ids, &cache}}, LogitRows::last, nullptr, &out_rows);
  auto logits = backend_.view_rows(*workspace_.logits, 0, 1);
  auto next = backend_.view_rows(*workspace_.next_ids, 0, 1);
  backend_.sample(*logits, params, {u}, *next);
  return backend_.read_i32(*next).at(0);
}

int32_t DecoderModel::decode_step(int32_t id, KvCache& cache, const SamplingParams* sampling, float u) {
  const std::vector<int32_t> ids = {id};
  const AttentionBatch batch = prepare({{&ids, &cache}});
  DecodeGraph& g = decode_graph_;
  const bool with_argmax = sampling == nullptr;
  if (g.cache != cache.serial() || g.workspace_capacity != workspace_.capacity || g.with_argmax != with_argmax) {
    g = DecodeGraph();
    g.cache = cache.serial();
    g.workspace_capacity = workspace_.capacity;
    g.with_argmax = with_argmax;
  }
  auto logits = backend_.view_rows(*workspace_.logits, 0, 1);
  auto next = backend_.view_rows(*workspace_.next_ids, 0, 1);
  // Kernels read the position from the uploaded positions, so one capture serves every step.
  auto issue = [&] {
    compute(batch, 1, {1}, nullptr);
    if (with_argmax) backend_.argmax(*logits, *next);
  };
  if (g.capture >= 0) {
    backend_.replay(g.capture);
  } else if (g.steps_seen++ == 0) {
    issue();  // the first step sizes every lazily allocated buffer
  } else {
    backend_.begin_capture();
    issue();
    g.capture = backend_.end_capture();
    backend_.replay(g.capture);
  }
  if (!with_argmax) backend_.sample(*logits, *sampling, {u}, *next);
  cache.advance(1);
  return backend_.read_i32(*next).at(0);
}

AttentionBatch DecoderModel::prepare(const std::vector<Sequence>& sequences) {
  if (sequences.empty()) fail("forward: no sequences given");
  std::vector<int32_t> ids, positions;  // every sequence's tokens and positions, concatenated
  AttentionBatch batch;
  for (const Sequence& s : sequences) {
    if (s.ids->empty()) fail("forward: no tokens given");
    for (int32_t id : *s.ids)
      if (id < 0 || id >= config_.vocab_size)
        fail("token id ", id, " is out of range for a vocabulary of ", config_.vocab_size);
    s.cache->check_room(int64_t(s.ids->size()));
    const int64_t start = s.cache->size();
    batch.segments.push_back({&s.cache->storage(), int64_t(ids.size()), int64_t(s.ids->size()), start});
    ids.insert(ids.end(), s.ids->begin(), s.ids->end());
    for (int64_t p = 0; p < int64_t(s.ids->size()); ++p) positions.push_back(int32_t(start + p));
  }
  const int64_t n = int64_t(ids.size());
  reserve(n);
  // One upload per step: the ids, then their positions.
  ids.insert(ids.end(), positions.begin(), positions.end());
  backend_.write_i32(ids, *backend_.view_rows(*workspace_.step_inputs, 0, 2 * n));
  return batch;
}

void DecoderModel::run(const std::vector<Sequence>& sequences, LogitRows rows, const ForwardObserver& observe,
                       int64_t* out_rows) {
  const AttentionBatch batch = prepare(sequences);
  const int64_t n = batch.segments.back().first_row + batch.segments.back().rows;
  std::vector<int64_t> head_rows;
  if (rows != LogitRows::all) {
    for (const Sequence& s : sequences) {
      const int64_t k = rows == LogitRows::last ? 1 : s.tail;
      if (k < 1 || k > int64_t(s.ids->size()))
        fail("forward: ", k, " logit rows asked of a sequence of ", s.ids->size(), " ids");
      head_rows.push_back(k);
    }
  }
  *out_rows = compute(batch, n, head_rows, observe);
  for (const Sequence& s : sequences) s.cache->advance(int64_t(s.ids->size()));
}

int64_t DecoderModel::compute(const AttentionBatch& prepared, int64_t n, const std::vector<int64_t>& head_rows,
                              const ForwardObserver& observe, int64_t first_layer, const Tensor* layer_input) {
  const float eps = float(config_.rms_norm_eps);
  Workspace& w = workspace_;
  auto id_rows = backend_.view_rows(*w.step_inputs, 0, n);
  auto position_rows = backend_.view_rows(*w.step_inputs, n, n);
  AttentionBatch batch = prepared;
  batch.positions = position_rows.get();

  auto residual = backend_.view_rows(*w.residual, 0, n);  // [n, hidden] f32
  auto normed = backend_.view_rows(*w.normed, 0, n);      // [n, hidden]
  auto block_out = backend_.view_rows(*w.block, 0, n);    // [n, hidden]
  if (layer_input) {
    backend_.put_rows(*layer_input, 0, *residual);
  } else {
    backend_.embed(*weights_.embed, *id_rows, *residual);
    if (observe) observe("embed", *residual);
  }

  // Each block's output is added to the residual stream and normalised for the next block
  // in one op (add_rmsnorm); only the last layer's add stands alone.
  const int64_t layers = config_.num_layers;
  backend_.rmsnorm(*residual, *weights_.layers[size_t(first_layer)].attn_norm, eps, *normed);
  for (int64_t l = first_layer; l < layers; ++l) {
    const LayerWeights& lw = weights_.layers[size_t(l)];
    attention_block(l, *normed, batch, *block_out);
    backend_.add_rmsnorm(*residual, *block_out, *lw.mlp_norm, eps, *normed);
    mlp_block(l, *normed, *block_out);
    if (l + 1 < layers) backend_.add_rmsnorm(*residual, *block_out, *weights_.layers[size_t(l + 1)].attn_norm, eps, *normed);
    else backend_.add(*residual, *block_out);
    if (observe) observe("layer." + std::to_string(l), *residual);
  }

  // Only the rows whose logits are wanted go through the final norm and LM head.
  // (Tails that add up to n are every row: no gather, as for one decoded token.)
  std::unique_ptr<Tensor> head_in;
  const int64_t out_rows = head_rows.empty() ? n : std::accumulate(head_rows.begin(), head_rows.end(), int64_t(0));
  if (out_rows == n) {
    head_in = backend_.view_rows(*w.residual, 0, n);
  } else {
    head_in = backend_.view_rows(*w.head_in, 0, out_rows);  // [sum of head_rows, hidden]
    int64_t row = 0;
    for (size_t i = 0; i < batch.segments.size(); ++i) {
      const AttentionBatch::Segment& seg = batch.segments[i];
      auto tail = backend_.view_rows(*residual, seg.first_row + seg.rows - head_rows[i], head_rows[i]);
      backend_.put_rows(*tail, row, *head_in);
      row += head_rows[i];
    }
  }
  auto final_normed = backend_.view_rows(*w.final_normed, 0, out_rows);
  backend_.rmsnorm(*head_in, *weights_.final_norm, eps, *final_normed);
  if (observe) observe("final_norm", *final_normed);
  auto logits = backend_.view_rows(*w.logits, 0, out_rows);  // [out_rows, vocab]
  backend_.linear(*final_normed, weights_.head(), nullptr, *logits);
  return out_rows;
}

void DecoderModel::attention_block(int64_t layer, const Tensor& x, const AttentionBatch& batch, Tensor& out) {
  const LayerWeights& lw = weights_.layers[size_t(layer)];
  const int64_t n = x.rows(), hd = config_.head_dim;
  Workspace& w = workspace_;
  auto q = backend_.view_rows(*w.q, 0, n);  // [n, heads * head_dim]
  auto k = backend_.view_rows(*w.k, 0, n);  // [n, kv_heads * head_dim]
  auto v = backend_.view_rows(*w.v, 0, n);  // [n, kv_heads * head_dim]
  backend_.linear(x, *lw.q, lw.q_bias.get(), *q);
  backend_.linear(x, *lw.k, lw.k_bias.get(), *k);
  backend_.linear(x, *lw.v, lw.v_bias.get(), *v);
  // Qwen3 normalises each head before RoPE; other architectures have no head norms (null).
  const float eps = float(config_.rms_norm_eps);
  const float af = weights_.rope_attention_factor;
  backend_.rmsnorm_rope_heads(*q, lw.q_norm.get(), eps, hd, *batch.positions, *weights_.rope_inv_freq, af);
  backend_.rmsnorm_rope_heads(*k, lw.k_norm.get(), eps, hd, *batch.positions, *weights_.rope_inv_freq, af);
  auto attn = backend_.view_rows(*w.attn, 0, n);  // [n, heads * head_dim]
  const AttentionShape shape{config_.num_heads, config_.num_kv_heads, hd};
  backend_.attention(*q, *k, *v, batch, layer, shape, *attn);
  backend_.linear(*attn, *lw.o, lw.o_bias.get(), out);
}

void DecoderModel::mlp_block(int64_t layer, const Tensor& x, Tensor& out) {
  const LayerWeights& lw = weights_.layers[size_t(layer)];
  auto gate = backend_.view_rows(*workspace_.gate, 0, x.rows());  // [n, ffn]
  auto up = backend_.view_rows(*workspace_.up, 0, x.rows());      // [n, ffn]
  backend_.linear(x, *lw.gate, lw.gate_bias.get(), *gate);
  backend_.linear(x, *lw.up, lw.up_bias.get(), *up);
  backend_.swiglu(*gate, *up, *gate);
  backend_.linear(*gate, *lw.down, lw.down_bias.get(), out);
}

}  // namespace llmrun
