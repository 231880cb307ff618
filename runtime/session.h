#pragma once
// One conversation or completion with a model: the KV cache, the sampler, and text in
// and out. Each generate() call appends to what the cache already holds, so a chat
// only prefills the new turn.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "loaders/tokenizer/tokenizer.h"
#include "runtime/generate.h"
#include "runtime/kv_cache.h"
#include "runtime/models/decoder.h"
#include "runtime/sampler.h"

namespace llmrun {

enum class StopReason { eos, stop_string, max_tokens, context_full, interrupted };
const char* stop_reason_name(StopReason reason);

struct TurnResult {
  std::string text;          // the generated text (stop string excluded)
  std::vector<int32_t> ids;  // the generated ids
  StopReason reason = StopReason::max_tokens;
  GenerationStats stats;
};

struct TurnRequest {
  std::vector<int32_t> input;             // new ids to append before generating (not empty)
  int64_t max_new_tokens = 256;
  std::vector<int32_t> stop_ids;          // e.g. EOS, <|im_end|>
  std::vector<std::string> stop_strings;  // generation ends before any of these
  bool continues_text = false;            // the output follows text already shown
  bool skip_special = true;               // keep special tokens out of the text
};

class Session {
 public:
  Session(DecoderModel& model, const Tokenizer& tokenizer, int64_t context, const SamplerOptions& sampling);

  // Streams text as it completes (valid UTF-8 only; text that may start a stop string
  // is held until it cannot). `interrupt`, when set, stops generation at the next token.
  TurnResult generate(const TurnRequest& request, const std::function<void(const std::string&)>& on_text,
                      const std::atomic<bool>* interrupt = nullptr);

  // Chat: `prompt` is the whole conversation so far. The longest prefix of it already in
  // the KV cache is kept and only the rest is fed (at least one id), so a template that
  // rewrites earlier turns (Qwen3 drops old <think> blocks) still gives exact results.
  TurnResult generate_prompt(const std::vector<int32_t>& prompt, TurnRequest request,
                             const std::function<void(const std::string&)>& on_text,
                             const std::atomic<bool>* interrupt = nullptr);

  void reset();
  int64_t used() const { return cache_.size() + int64_t(pending_.size()); }
  int64_t capacity() const { return cache_.capacity(); }
  const Tokenizer& tokenizer() const { return tokenizer_; }

 private:
  DecoderModel& model_;
  const Tokenizer& tokenizer_;
  KvCache cache_;
  Sampler sampler_;
  std::vector<int32_t> history_;  // every id seen, for the repetition penalty
  std::vector<int32_t> pending_;  // the last generated id: sampled, not yet in the cache
  std::vector<int32_t> cached_;   // the ids whose keys/values the cache holds, in order
};

}  // namespace llmrun
