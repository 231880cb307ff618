#pragma once
// Prefill a prompt as one batch, then decode one token at a time through the KV cache.
#include <chrono>
#include <functional>
#include <vector>

#include "runtime/models/decoder.h"
#include "runtime/sampler.h"

namespace llmrun {

struct GenerationStats {
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  double prefill_seconds = 0;  // also the time to first token
  double decode_seconds = 0;   // the tokens after the first, everything included (what a user sees)
  double decode_forward_seconds = 0;  // of which the forward passes alone

  double prefill_tokens_per_second() const { return prefill_seconds > 0 ? prompt_tokens / prefill_seconds : 0; }
  double decode_tokens_per_second() const {
    return decode_seconds > 0 ? (generated_tokens - 1) / decode_seconds : 0;
  }
  double decode_forward_tokens_per_second() const {
    return decode_forward_seconds > 0 ? (generated_tokens - 1) / decode_forward_seconds : 0;
  }
};

struct GenerationRequest {
  std::vector<int32_t> prompt;
  int64_t max_new_tokens = 128;
  std::vector<int32_t> stop_ids;  // generation ends after emitting one of these
};

// Called with each new token; return false to stop early.
using TokenCallback = std::function<bool(int32_t id)>;

// Generates into `cache` (which may already hold earlier turns). Returns the new ids.
std::vector<int32_t> generate(DecoderModel& model, KvCache& cache, Sampler& sampler,
                              const GenerationRequest& request, const TokenCallback& on_token,
                              GenerationStats* stats = nullptr);

}  // namespace llmrun
