// The [INST] formats. Both templates take an optional leading system message, then demand
// user/assistant alternation, and have no generation prompt: a prompt ending in a user turn
// already ends with "[/INST]", where the reply starts.
//
// Llama-2-chat (meta-llama/Llama-2-7b-chat-hf):
//   system_message = messages[0]['content'] if messages[0] is system else false
//   for message in loop_messages:
//     if (message['role'] == 'user') != (loop.index0 % 2 == 0): raise 'Conversation roles must alternate ...'
//     content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] if first and system
//     user:      bos_token + '[INST] ' + content.strip() + ' [/INST]'
//     assistant: ' '  + content.strip() + ' ' + eos_token
// strip() covers the merged text, so a user turn's leading whitespace survives after <<SYS>>.
// A system message at an odd position passes the alternation test and then matches no
// branch: HF silently drops it. We refuse it instead.
//
// Mistral v1 (Mistral-7B-Instruct-v0.1/v0.2, Mixtral-8x7B-Instruct-v0.1):
//   bos_token, then for each message after the optional system one:
//     alternation check ('After the optional system message, conversation roles must alternate ...')
//     user:      ' [INST] ' + (system_message + '\n\n' if first and system) + content + ' [/INST]'
//     assistant: ' ' + content + eos_token
//     other:     raise 'Only user and assistant roles are supported, with the exception of ...'
// No stripping: the template assumes the reply's leading space was removed when it was stored.
#include <optional>

#include "runtime/chat/python_strings.h"
#include "runtime/chat/render_formats.h"
#include "runtime/error.h"

namespace llmrun::chat::detail {
namespace {

struct SplitSystem {
  std::optional<std::string> system;  // content of a leading system message (may be empty)
  size_t first = 0;                   // index of the first non-system message
};

SplitSystem split_system(const std::vector<Message>& messages) {
  if (messages.front().role == kSystem) return {messages.front().content, 1};
  return {std::nullopt, 0};
}

// Throws when messages[i], the loop_index-th message after the system one, breaks the
// user/assistant alternation (the templates' own test and message).
void check_alternation(const char* format, const std::vector<Message>& messages, size_t i,
                       size_t loop_index, const char* hf_message) {
  if ((messages[i].role == kUser) != (loop_index % 2 == 0))
    fail(format, " chat format: messages[", i, "] is '", messages[i].role, "': ", hf_message);
}

}  // namespace

std::string render_llama2(const ChatFormat&, const std::vector<Message>& messages,
                          const RenderOptions&) {
  const SplitSystem split = split_system(messages);
  std::string out;
  for (size_t i = split.first; i < messages.size(); ++i) {
    const size_t k = i - split.first;
    check_alternation("llama2", messages, i, k,
                      "Conversation roles must alternate user/assistant/user/assistant/...");
    const Message& m = messages[i];
    if (m.role == kSystem)
      fail("llama2 chat format: messages[", i,
           "] is 'system': a system message is only allowed first (HF's template drops it)");
    std::string content = m.content;
    if (k == 0 && split.system) content = "<<SYS>>\n" + *split.system + "\n<</SYS>>\n\n" + content;
    if (m.role == kUser)
      out.append("<s>[INST] ").append(py_strip(content)).append(" [/INST]");
    else
      out.append(" ").append(py_strip(content)).append(" </s>");
  }
  return out;
}

std::string render_mistral(const ChatFormat&, const std::vector<Message>& messages,
                           const RenderOptions&) {
  const SplitSystem split = split_system(messages);
  std::string out = "<s>";
  for (size_t i = split.first; i < messages.size(); ++i) {
    const size_t k = i - split.first;
    check_alternation("mistral", messages, i, k,
                      "After the optional system message, conversation roles must alternate "
                      "user/assistant/user/assistant/...");
    const Message& m = messages[i];
    if (m.role == kUser) {
      out.append(" [INST] ");
      if (k == 0 && split.system) out.append(*split.system).append("\n\n");
      out.append(m.content).append(" [/INST]");
    } else if (m.role == kAssistant) {
      out.append(" ").append(m.content).append("</s>");
    } else {
      fail("mistral chat format: messages[", i,
           "] is 'system': Only user and assistant roles are supported, with the exception of "
           "an initial optional system message!");
    }
  }
  return out;
}

}  // namespace llmrun::chat::detail
