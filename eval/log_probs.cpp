#include "eval/log_probs.h"

#include <algorithm>
#include <cmath>

namespace llmrun::eval {

double log_sum_exp(const float* logits, int64_t n) {
  const double m = *std::max_element(logits, logits + n);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::exp(double(logits[i]) - m);
  return m + std::log(s);
}

double log_prob(const float* logits, int64_t n, int32_t id) { return double(logits[id]) - log_sum_exp(logits, n); }

double kl_divergence(const float* base, const float* test, int64_t n) {
  const double lp = log_sum_exp(base, n), lq = log_sum_exp(test, n);
  double kl = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double log_p = double(base[i]) - lp, log_q = double(test[i]) - lq;
    kl += std::exp(log_p) * (log_p - log_q);
  }
  return std::max(kl, 0.0);  // rounding can leave a tiny negative for identical rows
}

}  // namespace llmrun::eval
