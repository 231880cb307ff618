#include "eval/kl_compare.h"

#include <algorithm>
#include <cmath>

#include "eval/log_probs.h"
#include "runtime/error.h"
#include "runtime/non_finite.h"
#include "runtime/sampler.h"

namespace llmrun::eval {

KlResult compare_models(DecoderModel& base, DecoderModel& test, const std::vector<int32_t>& ids, int64_t context,
                        const std::function<void(int64_t, int64_t)>& progress, int64_t score_from) {
  const int64_t n = int64_t(ids.size()), vocab = base.config().vocab_size;
  if (test.config().vocab_size != vocab) fail("kld: the models have different vocabularies");
  if (n < 2) fail("kld: need at least 2 tokens, got ", n);
  if (context < 2) fail("--ctx must be at least 2, got ", context);
  if (score_from < 0 || score_from + 1 >= context)
    fail("--score-from must be in [0, ", context - 2, "] for windows of ", context, " tokens, got ", score_from);
  KlResult r;
  std::vector<double> kls;
  double base_nll = 0, test_nll = 0;
  int64_t agree = 0;
  KvCache base_cache = base.new_cache(context), test_cache = test.new_cache(context);
  for (int64_t begin = 0; begin + 1 < n; begin += context) {
    const int64_t end = std::min(begin + context, n);
    const std::vector<int32_t> window(ids.begin() + begin, ids.begin() + end);
    base_cache.clear();
    test_cache.clear();
    const std::vector<float> p = base.forward(window, base_cache, LogitRows::all);  // [len, vocab]
    const std::vector<float> q = test.forward(window, test_cache, LogitRows::all);
    const std::string at = "window at token " + std::to_string(begin);
    check_logits_finite(base, window, p, "kld baseline, " + at);
    check_logits_finite(test, window, q, "kld, " + at);
    for (int64_t j = score_from; j + 1 < int64_t(window.size()); ++j) {
      const float* pj = p.data() + j * vocab;
      const float* qj = q.data() + j * vocab;
      kls.push_back(kl_divergence(pj, qj, vocab));
      agree += argmax(pj, vocab) == argmax(qj, vocab);
      base_nll -= log_prob(pj, vocab, window[size_t(j + 1)]);
      test_nll -= log_prob(qj, vocab, window[size_t(j + 1)]);
    }
    if (progress) progress(end, n);
  }
  if (kls.empty()) fail("kld: no position to score (", n, " tokens, --score-from ", score_from, ")");
  r.positions = int64_t(kls.size());
  double sum = 0;
  for (double k : kls) sum += k;
  r.mean_kl = sum / double(r.positions);
  std::sort(kls.begin(), kls.end());
  r.p99_kl = kls[std::min(kls.size() - 1, size_t(std::ceil(0.99 * double(kls.size()))) - 1)];
  r.max_kl = kls.back();
  r.top1_agreement = double(agree) / double(r.positions);
  r.base_perplexity = std::exp(base_nll / double(r.positions));
  r.test_perplexity = std::exp(test_nll / double(r.positions));
  return r;
}

}  // namespace llmrun::eval
