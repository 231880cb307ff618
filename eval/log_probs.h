#pragma once
// Numerically careful softmax statistics of one row of logits, in double precision.
#include <cstdint>
#include <vector>

namespace llmrun::eval {

// log(sum(exp(logits))) with max subtraction.
double log_sum_exp(const float* logits, int64_t n);
// log p(id) under softmax(logits).
double log_prob(const float* logits, int64_t n, int32_t id);
// KL(p || q) = sum p (log p - log q) with p = softmax(base), q = softmax(test).
double kl_divergence(const float* base, const float* test, int64_t n);

}  // namespace llmrun::eval
