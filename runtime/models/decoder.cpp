#include "runtime/models/decoder.h"

#include "runtime/error.h"

namespace llmrun {

DecoderModel::DecoderModel(ModelConfig config, DecoderWeights weights, Backend& backend)
    : config_(std::move(config)), weights_(std::move(weights)), backend_(backend) {}

KvCache DecoderModel::new_cache(int64_t capacity) {
  return KvCache(backend_, config_.num_layers, config_.num_kv_heads, config_.head_dim, capacity);
}

std::vector<float> DecoderModel::forward(const std::vector<int32_t>& ids, KvCache& cache,
                                         LogitRows rows, const ForwardObserver& observe) {
  return forward_batch({{&ids, &cache}}, rows, observe);
}

std::vector<float> DecoderModel::forward_batch(const std::vector<Sequence>& sequences, LogitRows rows,
                                               const ForwardObserver& observe) {
  if (sequences.empty()) fail("forward: no sequences given");
  std::vector<int32_t> ids;  // every sequence's tokens, concatenated
  std::vector<Segment> segments;
  for (const Sequence& s : sequences) {
    if (s.ids->empty()) fail("forward: no tokens given");
    for (int32_t id : *s.ids)
      if (id < 0 || id >= config_.vocab_size)
        fail("token id ", id, " is out of range for a vocabulary of ", config_.vocab_size);
    s.cache->check_room(int64_t(s.ids->size()));
    segments.push_back({int64_t(ids.size()), int64_t(s.ids->size()), s.cache->size(), s.cache});
    ids.insert(ids.end(), s.ids->begin(), s.ids->end());
  }
  const int64_t n = int64_t(ids.size());
  const float eps = float(config_.rms_norm_eps);

  auto residual = backend_.alloc(n, config_.hidden_size);   // [n, hidden]
  auto normed = backend_.alloc(n, config_.hidden_size);     // [n, hidden]
  auto block_out = backend_.alloc(n, config_.hidden_size);  // [n, hidden]
  backend_.embed(*weights_.embed, ids, *residual);
  if (observe) observe("embed", *residual);

  for (int64_t l = 0; l < config_.num_layers; ++l) {
    const LayerWeights& lw = weights_.layers[size_t(l)];
    backend_.rmsnorm(*residual, *lw.attn_norm, eps, *normed);
    attention_block(l, *normed, segments, *block_out);
    backend_.add(*residual, *block_out);
    backend_.rmsnorm(*residual, *lw.mlp_norm, eps, *normed);
    mlp_block(l, *normed, *block_out);
    backend_.add(*residual, *block_out);
    if (observe) observe("layer." + std::to_string(l), *residual);
  }
  for (const Segment& seg : segments) seg.cache->advance(seg.rows);

  // Only the rows whose logits are wanted go through the final norm and LM head.
  const int64_t out_rows = rows == LogitRows::all ? n : int64_t(segments.size());
  std::unique_ptr<Tensor> last;
  const Tensor* head_in = residual.get();
  if (out_rows != n) {
    last = backend_.alloc(out_rows, config_.hidden_size);  // [sequences, hidden]
    auto row = backend_.alloc(1, config_.hidden_size);
    for (size_t i = 0; i < segments.size(); ++i) {
      backend_.take_rows(*residual, segments[i].first_row + segments[i].rows - 1, 1, *row);
      backend_.put_rows(*row, int64_t(i), *last);
    }
    head_in = last.get();
  }
  auto final_normed = backend_.alloc(out_rows, config_.hidden_size);
  backend_.rmsnorm(*head_in, *weights_.final_norm, eps, *final_normed);
  if (observe) observe("final_norm", *final_normed);
  auto logits = backend_.alloc(out_rows, config_.vocab_size);  // [out_rows, vocab]
  backend_.linear(*final_normed, weights_.head(), nullptr, *logits);
  std::vector<float> host(static_cast<size_t>(out_rows * config_.vocab_size));
  backend_.to_host(*logits, host.data());
  return host;
}

void DecoderModel::attention_block(int64_t layer, const Tensor& x, const std::vector<Segment>& segments,
                                   Tensor& out) {
  const LayerWeights& lw = weights_.layers[size_t(layer)];
  const int64_t n = x.rows(), hd = config_.head_dim;
  const int64_t q_cols = config_.num_heads * hd, kv_cols = config_.num_kv_heads * hd;
  auto q = backend_.alloc(n, q_cols);   // [n, heads * head_dim]
  auto k = backend_.alloc(n, kv_cols);  // [n, kv_heads * head_dim]
  auto v = backend_.alloc(n, kv_cols);  // [n, kv_heads * head_dim]
  backend_.linear(x, *lw.q, lw.q_bias.get(), *q);
  backend_.linear(x, *lw.k, lw.k_bias.get(), *k);
  backend_.linear(x, *lw.v, lw.v_bias.get(), *v);
  if (lw.q_norm) {
    const float eps = float(config_.rms_norm_eps);
    backend_.rmsnorm_heads(*q, *lw.q_norm, eps);
    backend_.rmsnorm_heads(*k, *lw.k_norm, eps);
  }
  auto attn = backend_.alloc(n, q_cols);  // [n, heads * head_dim]
  const AttentionShape shape{config_.num_heads, config_.num_kv_heads, hd};
  if (segments.size() == 1) {
    const Segment& s = segments.front();
    backend_.rope(*q, hd, s.start_pos, *weights_.rope_inv_freq);
    backend_.rope(*k, hd, s.start_pos, *weights_.rope_inv_freq);
    backend_.attention(*q, *k, *v, s.cache->storage(), layer, s.start_pos, shape, *attn);
  } else {
    // Each sequence has its own positions and cache: slice its rows out and back.
    for (const Segment& s : segments) {
      auto qs = backend_.alloc(s.rows, q_cols), ks = backend_.alloc(s.rows, kv_cols);
      auto vs = backend_.alloc(s.rows, kv_cols), as = backend_.alloc(s.rows, q_cols);
      backend_.take_rows(*q, s.first_row, s.rows, *qs);
      backend_.take_rows(*k, s.first_row, s.rows, *ks);
      backend_.take_rows(*v, s.first_row, s.rows, *vs);
      backend_.rope(*qs, hd, s.start_pos, *weights_.rope_inv_freq);
      backend_.rope(*ks, hd, s.start_pos, *weights_.rope_inv_freq);
      backend_.attention(*qs, *ks, *vs, s.cache->storage(), layer, s.start_pos, shape, *as);
      backend_.put_rows(*as, s.first_row, *attn);
    }
  }
  backend_.linear(*attn, *lw.o, lw.o_bias.get(), out);
}

void DecoderModel::mlp_block(int64_t layer, const Tensor& x, Tensor& out) {
  const LayerWeights& lw = weights_.layers[size_t(layer)];
  auto gate = backend_.alloc(x.rows(), config_.intermediate_size);  // [n, ffn]
  auto up = backend_.alloc(x.rows(), config_.intermediate_size);    // [n, ffn]
  backend_.linear(x, *lw.gate, lw.gate_bias.get(), *gate);
  backend_.linear(x, *lw.up, lw.up_bias.get(), *up);
  backend_.swiglu(*gate, *up, *gate);
  backend_.linear(*gate, *lw.down, lw.down_bias.get(), out);
}

}  // namespace llmrun
