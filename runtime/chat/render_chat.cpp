// render_chat(): the checks every format shares, then the format's renderer; and the plain
// (no template) format.
#include "runtime/chat/chat_format.h"
#include "runtime/chat/render_formats.h"
#include "runtime/error.h"

namespace llmrun::chat {

namespace detail {

// No template: the text of every message in order, so a completion prompt is its content.
std::string render_plain(const ChatFormat&, const std::vector<Message>& messages,
                         const RenderOptions&) {
  std::string out;
  for (const Message& m : messages) out += m.content;
  return out;
}

}  // namespace detail

std::string render_chat(const ChatFormat& format, const std::vector<Message>& messages,
                        const RenderOptions& options) {
  // Most HF templates index messages[0] and fail on an empty list; refuse it everywhere.
  if (messages.empty()) fail(chat_format_name(format), " chat format: no messages to render");
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& role = messages[i].role;
    if (role != kSystem && role != kUser && role != kAssistant)
      fail(chat_format_name(format), " chat format: messages[", i, "] has role '", role,
           "' (expected system, user or assistant)");
  }
  return detail::renderer_of(format)(format, messages, options);
}

}  // namespace llmrun::chat
