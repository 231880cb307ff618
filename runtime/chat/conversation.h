#pragma once
// A chat's state: the system prompt and the turns so far, rendered for a format on demand.
//
// Incremental turns. The runtime keeps the KV cache between turns and feeds only new text.
// After a turn the cache holds `fed` = the previous prompt + the reply as generated (the
// sampled stop token is never fed). update() renders the whole new prompt and reports
// whether it starts with `fed`:
//   - yes: keep the cache and feed `suffix` (the new turn); in chatml and llama3 it starts
//     right after the reply, before a special token (<|im_end|>, <|eot_id|>), so tokenizing
//     it on its own gives the same ids as tokenizing the whole prompt;
//   - no: the template rewrote history (Qwen3 drops <think> from earlier turns), or the
//     stored reply differs from the generated one; `suffix` is then the whole prompt and the
//     cache must be cleared (or cut to the longest common token prefix).
// history_prefix_stable(format) says which formats keep the prefix when the reply is stored
// as README.md describes; update() checks the actual text, so it is always safe to use.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/chat/chat_format.h"

namespace llmrun::chat {

struct PromptUpdate {
  std::string prompt;         // the whole prompt for this turn
  bool reuse_prefix = false;  // prompt starts with what was fed: keep the cache
  std::string suffix;         // what to feed: prompt minus fed, or all of it if !reuse_prefix
};

class Conversation {
 public:
  // "" removes the system prompt. It is rendered as the first message.
  void set_system(std::string prompt) { system_ = std::move(prompt); }
  const std::string& system() const { return system_; }

  // Throws llmrun::Error for a role other than user or assistant (the system prompt is set
  // with set_system).
  void add(std::string role, std::string content);
  void add_user(std::string content) { add(kUser, std::move(content)); }
  void add_assistant(std::string content) { add(kAssistant, std::move(content)); }
  // Drops the turns, keeps the system prompt (/reset).
  void clear() { turns_.clear(); }

  const std::vector<Message>& turns() const { return turns_; }
  // The system prompt (when set) followed by the turns: what the template sees.
  std::vector<Message> messages() const;

  std::string render(const ChatFormat& format, bool add_generation_prompt = true,
                     bool enable_thinking = true) const;
  // The prompt for the next generation, as the new part after `fed` when possible (see above).
  // An empty `fed` (empty cache) always reuses: suffix == prompt.
  PromptUpdate update(const ChatFormat& format, std::string_view fed,
                      bool add_generation_prompt = true, bool enable_thinking = true) const;

 private:
  std::string system_;
  std::vector<Message> turns_;
};

}  // namespace llmrun::chat
