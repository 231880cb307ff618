#pragma once
// How far a quantized model's next-token distributions are from the baseline's over the
// same tokens: KL divergence (mean, 99th percentile), top-1 agreement, and both
// perplexities.
#include <functional>
#include <vector>

#include "runtime/models/decoder.h"

namespace llmrun::eval {

struct KlResult {
  double mean_kl = 0, p99_kl = 0, max_kl = 0;
  double top1_agreement = 0;  // fraction of positions where both argmaxes agree
  double base_perplexity = 0, test_perplexity = 0;
  int64_t positions = 0;
};

// Splits ids into consecutive windows of `context` tokens (each run from an empty
// cache) and scores every position from `score_from` on that has a next token
// (llama-perplexity --kl-divergence scores from context / 2: positions with at least that
// much history).
KlResult compare_models(DecoderModel& base, DecoderModel& test, const std::vector<int32_t>& ids, int64_t context,
                        const std::function<void(int64_t done, int64_t total)>& progress = nullptr,
                        int64_t score_from = 0);

}  // namespace llmrun::eval
