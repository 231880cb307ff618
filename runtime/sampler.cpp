#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "runtime/error.h"

namespace llmrun {

void validate(const SamplerOptions& o) {
  if (!(o.temperature >= 0.0) || !std::isfinite(o.temperature))
    fail("--temp must be >= 0, got ", o.temperature);
  if (o.top_k < 0) fail("--top-k must be >= 0, got ", o.top_k);
  if (!(o.top_p > 0.0 && o.top_p <= 1.0)) fail("--top-p must be in (0, 1], got ", o.top_p);
  if (!(o.min_p >= 0.0 && o.min_p <= 1.0)) fail("--min-p must be in [0, 1], got ", o.min_p);
  if (!(o.repetition_penalty > 0.0) || !std::isfinite(o.repetition_penalty))
    fail("--repeat-penalty must be > 0, got ", o.repetition_penalty);
}

Sampler::Sampler(const SamplerOptions& options) : options_(options), rng_(options.seed) {
  validate(options_);
}

int32_t argmax(const float* logits, int64_t vocab) {
  int64_t best = 0;
  for (int64_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best]) best = i;
  return int32_t(best);
}

namespace {
std::vector<float> penalized(const float* logits, int64_t vocab, const std::vector<int32_t>& history,
                             double penalty) {
  std::vector<float> out(logits, logits + vocab);
  if (penalty == 1.0) return out;
  std::unordered_set<int32_t> seen(history.begin(), history.end());
  for (int32_t id : seen) {
    if (id < 0 || id >= vocab) continue;
    float& l = out[size_t(id)];
    l = l > 0 ? float(l / penalty) : float(l * penalty);
  }
  return out;
}
}  // namespace

std::vector<double> Sampler::distribution(const float* logits, int64_t vocab,
                                          const std::vector<int32_t>& history) const {
  std::vector<float> l = penalized(logits, vocab, history, options_.repetition_penalty);
  std::vector<double> p(size_t(vocab), 0.0);
  if (options_.temperature == 0.0) {
    p[size_t(argmax(l.data(), vocab))] = 1.0;
    return p;
  }
  // Candidates sorted by logit, highest first (stable: lower id first on ties).
  std::vector<int32_t> order(static_cast<size_t>(vocab));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return l[size_t(a)] > l[size_t(b)]; });
  size_t keep = order.size();
  if (options_.top_k > 0) keep = std::min(keep, size_t(options_.top_k));

  const double max_logit = l[size_t(order[0])];
  std::vector<double> w(keep);
  double sum = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    w[i] = std::exp((double(l[size_t(order[i])]) - max_logit) / options_.temperature);
    sum += w[i];
  }
  // min-p: drop tokens whose probability is below min_p times the top one's.
  if (options_.min_p > 0.0) {
    size_t n = 0;
    while (n < keep && w[n] >= options_.min_p * w[0]) ++n;
    keep = std::max<size_t>(n, 1);
  }
  // top-p: the smallest prefix whose mass reaches top_p.
  if (options_.top_p < 1.0) {
    double total = 0.0;
    for (size_t i = 0; i < keep; ++i) total += w[i];
    double cum = 0.0;
    size_t n = 0;
    while (n < keep) {
      cum += w[n++];
      if (cum >= options_.top_p * total) break;
    }
    keep = n;
  }
  sum = 0.0;
  for (size_t i = 0; i < keep; ++i) sum += w[i];
  for (size_t i = 0; i < keep; ++i) p[size_t(order[i])] = w[i] / sum;
  return p;
}

SamplingParams Sampler::params() const {
  SamplingParams p;
  p.temperature = float(options_.temperature);
  p.top_k = options_.top_k;
  p.top_p = float(options_.top_p);
  p.min_p = float(options_.min_p);
  return p;
}

double Sampler::next_uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

int32_t Sampler::sample(const float* logits, int64_t vocab, const std::vector<int32_t>& history) {
  if (options_.temperature == 0.0) {
    if (options_.repetition_penalty == 1.0) return argmax(logits, vocab);
    std::vector<float> l = penalized(logits, vocab, history, options_.repetition_penalty);
    return argmax(l.data(), vocab);
  }
  const std::vector<double> p = distribution(logits, vocab, history);
  double u = next_uniform(), cum = 0.0;
  int32_t last_nonzero = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    if (p[size_t(i)] == 0.0) continue;
    last_nonzero = int32_t(i);
    cum += p[size_t(i)];
    if (u < cum) return int32_t(i);
  }
  return last_nonzero;  // rounding left u just above the total
}

}  // namespace llmrun
