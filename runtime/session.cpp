#include "runtime/session.h"

#include <algorithm>

#include "runtime/error.h"

namespace llmrun {

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::eos: return "end of sequence";
    case StopReason::stop_string: return "stop string";
    case StopReason::max_tokens: return "token limit";
    case StopReason::context_full: return "context full";
    case StopReason::interrupted: return "interrupted";
  }
  return "?";
}

Session::Session(DecoderModel& model, const Tokenizer& tokenizer, int64_t context, const SamplerOptions& sampling)
    : model_(model), tokenizer_(tokenizer), cache_(model.new_cache(context)), sampler_(sampling) {}

void Session::reset() {
  cache_.clear();
  history_.clear();
  pending_.clear();
  cached_.clear();
}

TurnResult Session::generate_prompt(const std::vector<int32_t>& prompt, TurnRequest request,
                                    const std::function<void(const std::string&)>& on_text,
                                    const std::atomic<bool>* interrupt) {
  if (prompt.empty()) fail("generate: empty prompt");
  size_t keep = 0;
  while (keep < cached_.size() && keep + 1 < prompt.size() && cached_[keep] == prompt[keep]) ++keep;
  cache_.truncate(int64_t(keep));
  cached_.resize(keep);
  pending_.clear();
  history_.assign(prompt.begin(), prompt.begin() + long(keep));
  request.input.assign(prompt.begin() + long(keep), prompt.end());
  return generate(request, on_text, interrupt);
}

namespace {

// Length of the longest suffix of `text` that is a proper prefix of some stop string:
// those bytes may still turn into a stop string and are held back.
size_t held_suffix(const std::string& text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const std::string& s : stops)
    for (size_t k = std::min(s.size() - 1, text.size()); k > hold; --k)
      if (text.compare(text.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
  return hold;
}

}  // namespace

TurnResult Session::generate(const TurnRequest& request, const std::function<void(const std::string&)>& on_text,
                             const std::atomic<bool>* interrupt) {
  TurnResult result;
  std::vector<int32_t> input = pending_;
  input.insert(input.end(), request.input.begin(), request.input.end());
  if (input.empty()) fail("generate: nothing to feed the model");
  if (int64_t(input.size()) + 1 > cache_.remaining()) {
    result.reason = StopReason::context_full;
    return result;
  }
  pending_.clear();
  history_.insert(history_.end(), request.input.begin(), request.input.end());

  StreamingDecoder decoder(tokenizer_, {request.skip_special, request.continues_text});
  std::string unsent;  // decoded text not yet passed to on_text
  bool stopped_by_string = false, interrupted = false;
  auto emit = [&](bool final) {
    const size_t hold = final ? 0 : held_suffix(unsent, request.stop_strings);
    const std::string out = unsent.substr(0, unsent.size() - hold);
    if (!out.empty()) {
      result.text += out;
      if (on_text) on_text(out);
    }
    unsent.erase(0, out.size());
  };

  GenerationRequest req;
  req.prompt = input;
  req.max_new_tokens = std::min(request.max_new_tokens, cache_.remaining() - int64_t(input.size()) + 1);
  req.stop_ids = request.stop_ids;
  cached_.insert(cached_.end(), input.begin(), input.end());
  bool first = true;
  result.ids = llmrun::generate(model_, cache_, sampler_, req, [&](int32_t id) {
    // Every token after the first was fed to produce the next one.
    if (!first) cached_.push_back(history_.back());
    first = false;
    history_.push_back(id);
    if (std::find(request.stop_ids.begin(), request.stop_ids.end(), id) != request.stop_ids.end()) return true;
    unsent += decoder.push(id);
    for (const std::string& s : request.stop_strings) {
      const size_t at = unsent.find(s);
      if (at != std::string::npos) {
        unsent.resize(at);
        stopped_by_string = true;
      }
    }
    if (stopped_by_string) return false;
    emit(false);
    if (interrupt && interrupt->load()) {
      interrupted = true;
      return false;
    }
    return true;
  }, &result.stats);
  if (!result.ids.empty()) pending_.push_back(result.ids.back());
  if (!stopped_by_string) unsent += decoder.flush();
  emit(true);

  const bool hit_eos = !result.ids.empty() &&
      std::find(request.stop_ids.begin(), request.stop_ids.end(), result.ids.back()) != request.stop_ids.end();
  if (hit_eos) result.reason = StopReason::eos;
  else if (stopped_by_string) result.reason = StopReason::stop_string;
  else if (interrupted) result.reason = StopReason::interrupted;
  else if (int64_t(result.ids.size()) < request.max_new_tokens) result.reason = StopReason::context_full;
  else result.reason = StopReason::max_tokens;
  return result;
}

}  // namespace llmrun
