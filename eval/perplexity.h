#pragma once
// Perplexity of a token sequence with a sliding window, computed exactly as the
// Hugging Face perplexity guide does (including its weighting of each window's mean
// loss by num_valid_tokens - 1).
#include <functional>
#include <vector>

#include "runtime/models/decoder.h"

namespace llmrun::eval {

struct WindowLoss {
  int64_t begin, end, target_len;  // tokens [begin, end); the last target_len are targets
  double mean_nll;                 // mean negative log-likelihood over the scored targets
};

struct PerplexityResult {
  double perplexity = 0, nll_sum = 0;
  int64_t n_tokens = 0;  // the guide's count (sum of num_valid_tokens - 1)
  std::vector<WindowLoss> windows;
};

// max_length: window size (<= the model's context); stride: step between windows.
PerplexityResult perplexity(DecoderModel& model, const std::vector<int32_t>& ids, int64_t max_length, int64_t stride,
                            const std::function<void(int64_t done, int64_t total)>& progress = nullptr);

}  // namespace llmrun::eval
