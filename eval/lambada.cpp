#include "eval/lambada.h"

#include <algorithm>
#include <cmath>

#include "eval/log_probs.h"
#include "kernels/quant/finite.h"
#include "runtime/error.h"
#include "runtime/non_finite.h"
#include "runtime/sampler.h"

namespace llmrun::eval {

EncodedPassage encode_passage(const Tokenizer& tok, const LambadaPassage& p, bool bos) {
  // lm-eval's _encode_pair: trailing spaces of the context move to the continuation.
  std::string context = p.context, continuation = p.continuation;
  const size_t kept = context.find_last_not_of(' ') == std::string::npos ? 0 : context.find_last_not_of(' ') + 1;
  if (kept < context.size()) {
    continuation = context.substr(kept) + continuation;
    context.resize(kept);
  }
  const std::vector<int32_t> whole = tok.encode(context + continuation, bos);
  std::vector<int32_t> ctx = tok.encode(context, bos);
  EncodedPassage e;
  // lm-eval takes whole[len(context):] even where the context's own tokens are not a
  // prefix of the whole's; the same arithmetic here.
  e.continuation.assign(whole.begin() + long(std::min(ctx.size(), whole.size())), whole.end());
  e.context = std::move(ctx);
  if (e.context.empty()) {
    // lm-eval feeds a prefix token (EOT/BOS) when the context is empty.
    if (auto b = tok.bos_id()) e.context = {*b};
    else if (!tok.eos_ids().empty()) e.context = {tok.eos_ids().front()};
  }
  return e;
}

LambadaResult score_lambada(DecoderModel& model, const std::vector<EncodedPassage>& passages, int64_t batch,
                            const std::function<void(int64_t, int64_t)>& progress) {
  const int64_t vocab = model.config().vocab_size, max_len = model.config().max_position_embeddings;
  if (batch < 1) fail("--batch must be >= 1, got ", batch);
  LambadaResult r;
  r.passages.resize(passages.size());
  int64_t correct = 0;
  double logprob_sum = 0;
  for (size_t b0 = 0; b0 < passages.size(); b0 += size_t(batch)) {
    const size_t b1 = std::min(passages.size(), b0 + size_t(batch));
    std::vector<std::vector<int32_t>> inputs(b1 - b0);
    std::vector<KvCache> caches;
    std::vector<DecoderModel::Sequence> sequences;
    for (size_t i = b0; i < b1; ++i) {
      const EncodedPassage& e = passages[i];
      if (e.continuation.empty()) fail("lambada: passage ", i, " has an empty continuation after tokenization");
      std::vector<int32_t>& all = inputs[i - b0];
      all = e.context;
      all.insert(all.end(), e.continuation.begin(), e.continuation.end());
      // lm-eval: (context + continuation)[-(max_length + 1):][:-1]
      if (int64_t(all.size()) > max_len + 1) all.erase(all.begin(), all.end() - (max_len + 1));
      all.pop_back();
      if (e.continuation.size() > all.size())
        fail("lambada: passage ", i + 1, ": its continuation (", e.continuation.size(),
             " tokens) does not fit the model's context of ", max_len);
      caches.push_back(model.new_cache(int64_t(all.size())));
    }
    // Only the rows that predict the continuation's tokens (each input's last ones) go
    // through the LM head.
    for (size_t i = 0; i < inputs.size(); ++i)
      sequences.push_back({&inputs[i], &caches[i], int64_t(passages[b0 + i].continuation.size())});
    const std::vector<float> logits = model.forward_batch(sequences, LogitRows::tail);  // [sum of tails, vocab]
    int64_t row0 = 0;
    if (!quant::all_finite(logits.data(), int64_t(logits.size()))) {
      int64_t row = 0;
      for (size_t i = b0; i < b1; ++i) {  // name the first passage whose logits are broken
        const int64_t n = sequences[i - b0].tail;
        check_logits_finite(model, inputs[i - b0],
                            std::vector<float>(logits.begin() + row * vocab, logits.begin() + (row + n) * vocab),
                            "lambada passage " + std::to_string(i + 1));
        row += n;
      }
    }
    for (size_t i = b0; i < b1; ++i) {
      const EncodedPassage& e = passages[i];
      const std::vector<int32_t>& all = inputs[i - b0];
      PassageScore s;
      s.greedy = true;
      for (size_t k = 0; k < e.continuation.size(); ++k) {
        const float* row = logits.data() + (row0 + int64_t(k)) * vocab;
        s.logprob += log_prob(row, vocab, e.continuation[k]);
        s.greedy = s.greedy && argmax(row, vocab) == e.continuation[k];
      }
      s.tokens = int64_t(all.size());
      row0 += int64_t(e.continuation.size());
      r.tokens += s.tokens;
      correct += s.greedy;
      logprob_sum += s.logprob;
      r.passages[i] = s;
    }
    if (progress) progress(int64_t(b1), int64_t(passages.size()));
  }
  const double n = double(passages.size());
  r.accuracy = double(correct) / n;
  // lm-eval's mean_stderr: sample standard deviation / sqrt(n).
  double var = 0;
  for (const PassageScore& s : r.passages) var += (double(s.greedy) - r.accuracy) * (double(s.greedy) - r.accuracy);
  r.accuracy_stderr = n > 1 ? std::sqrt(var / (n - 1)) / std::sqrt(n) : 0.0;
  r.perplexity = std::exp(-logprob_sum / n);
  return r;
}

PairedAccuracy compare_passages(const LambadaResult& baseline, const LambadaResult& other) {
  if (baseline.passages.size() != other.passages.size())
    fail("lambada: cannot pair ", other.passages.size(), " passage results with the baseline's ",
         baseline.passages.size());
  PairedAccuracy p;
  const size_t n = baseline.passages.size();
  if (n == 0) return p;
  for (size_t i = 0; i < n; ++i) {
    const bool was = baseline.passages[i].greedy, is = other.passages[i].greedy;
    p.gained += is && !was;
    p.lost += was && !is;
  }
  p.delta = double(p.gained - p.lost) / double(n);
  // Sample variance of d_i in {-1, 0, +1}: sum(d^2) = gained + lost.
  const double sum_sq = double(p.gained + p.lost) - double(n) * p.delta * p.delta;
  p.delta_stderr = n > 1 ? std::sqrt(std::max(0.0, sum_sq) / double(n - 1)) / std::sqrt(double(n)) : 0.0;
  return p;
}

}  // namespace llmrun::eval
