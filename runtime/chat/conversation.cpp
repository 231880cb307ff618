#include "runtime/chat/conversation.h"

#include "runtime/error.h"

namespace llmrun::chat {

void Conversation::add(std::string role, std::string content) {
  if (role != kUser && role != kAssistant)
    fail("conversation: cannot add a '", role,
         "' turn (user or assistant; the system prompt is set separately)");
  turns_.push_back({std::move(role), std::move(content)});
}

std::vector<Message> Conversation::messages() const {
  std::vector<Message> all;
  all.reserve(turns_.size() + 1);
  if (!system_.empty()) all.push_back({kSystem, system_});
  all.insert(all.end(), turns_.begin(), turns_.end());
  return all;
}

std::string Conversation::render(const ChatFormat& format, bool add_generation_prompt,
                                 bool enable_thinking) const {
  RenderOptions options;
  options.add_generation_prompt = add_generation_prompt;
  options.enable_thinking = enable_thinking;
  return render_chat(format, messages(), options);
}

PromptUpdate Conversation::update(const ChatFormat& format, std::string_view fed,
                                  bool add_generation_prompt, bool enable_thinking) const {
  PromptUpdate u;
  u.prompt = render(format, add_generation_prompt, enable_thinking);
  u.reuse_prefix = u.prompt.size() >= fed.size() && u.prompt.compare(0, fed.size(), fed) == 0;
  u.suffix = u.reuse_prefix ? u.prompt.substr(fed.size()) : u.prompt;
  return u;
}

}  // namespace llmrun::chat
