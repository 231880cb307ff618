#pragma once
// Next-token choice from logits: greedy, or temperature sampling filtered by top-k,
// top-p and min-p, with an optional repetition penalty. Seeded: the same seed and
// inputs give the same tokens.
#include <cstdint>
#include <random>
#include <vector>

#include "runtime/backend.h"

namespace llmrun {

struct SamplerOptions {
  double temperature = 0.0;        // 0: greedy
  int64_t top_k = 0;               // 0: off
  double top_p = 1.0;              // 1: off
  double min_p = 0.0;              // 0: off
  double repetition_penalty = 1.0; // 1: off (HF/CTRL rule: logit/p if > 0 else logit*p)
  uint64_t seed = 0;
};

// Throws llmrun::Error naming the option when a value is out of range.
void validate(const SamplerOptions& options);

class Sampler {
 public:
  explicit Sampler(const SamplerOptions& options);
  // Plain argmax (temperature 0, no repetition penalty): the backend can choose the token
  // itself and only the id crosses to the host.
  bool greedy() const { return options_.temperature == 0.0 && options_.repetition_penalty == 1.0; }
  // logits: [vocab] fp32; history: tokens seen so far (for the repetition penalty).
  int32_t sample(const float* logits, int64_t vocab, const std::vector<int32_t>& history);
  // The distribution sample() draws from after every filter (for tests): [vocab].
  std::vector<double> distribution(const float* logits, int64_t vocab,
                                   const std::vector<int32_t>& history) const;

  // For sampling on a backend (Backend::sample) instead of sample(): the filters as
  // SamplingParams (fp32, as backends take them), and the uniform in [0, 1) that sample()
  // would have drawn next, from the same seeded generator. Without a repetition penalty
  // (which needs the history), a backend given these picks what sample() picks, up to
  // rounding at a CDF boundary (kernels/cpu/sample.h, kernels/cuda/sample.cuh).
  bool backend_can_sample() const { return options_.temperature > 0.0 && options_.repetition_penalty == 1.0; }
  SamplingParams params() const;
  double next_uniform();

 private:
  SamplerOptions options_;
  std::mt19937_64 rng_;
};

// Index of the largest logit; the first one on ties (as torch.argmax).
int32_t argmax(const float* logits, int64_t vocab);

}  // namespace llmrun
