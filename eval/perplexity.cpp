#include "eval/perplexity.h"

#include <algorithm>
#include <cmath>

#include "eval/log_probs.h"
#include "runtime/error.h"
#include "runtime/non_finite.h"

namespace llmrun::eval {

PerplexityResult perplexity(DecoderModel& model, const std::vector<int32_t>& ids, int64_t max_length, int64_t stride,
                            const std::function<void(int64_t, int64_t)>& progress) {
  const int64_t n = int64_t(ids.size()), vocab = model.config().vocab_size;
  if (n < 2) fail("perplexity: need at least 2 tokens, got ", n);
  if (max_length < 2) fail("--ctx must be at least 2, got ", max_length);
  if (stride < 1 || stride > max_length) fail("--stride must be in [1, --ctx], got ", stride);
  PerplexityResult r;
  KvCache cache = model.new_cache(max_length);
  int64_t prev_end = 0;
  for (int64_t begin = 0; begin < n; begin += stride) {
    const int64_t end = std::min(begin + max_length, n);
    const int64_t target_len = end - prev_end;
    cache.clear();
    const std::vector<int32_t> window(ids.begin() + begin, ids.begin() + end);
    const std::vector<float> logits = model.forward(window, cache, LogitRows::all);  // [end-begin, vocab]
    check_logits_finite(model, window, logits, "perplexity window at token " + std::to_string(begin));
    // Labels are the window itself with all but the last target_len masked; the model
    // shifts them by one, so window position j predicts position j + 1.
    double nll = 0;
    int64_t scored = 0;
    const int64_t len = end - begin;
    for (int64_t j = std::max<int64_t>(1, len - target_len); j < len; ++j) {
      nll -= log_prob(logits.data() + (j - 1) * vocab, vocab, window[size_t(j)]);
      ++scored;
    }
    const double mean = scored ? nll / double(scored) : 0.0;
    // The guide weights each window's mean loss by (valid labels - batch size).
    const int64_t weight = std::min(target_len, len) - 1;
    r.nll_sum += mean * double(weight);
    r.n_tokens += weight;
    r.windows.push_back({begin, end, target_len, mean});
    prev_end = end;
    if (progress) progress(end, n);
    if (end == n) break;
  }
  r.perplexity = std::exp(r.nll_sum / double(r.n_tokens));
  return r;
}

}  // namespace llmrun::eval
