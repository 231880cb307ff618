// ChatML, and Qwen3's variant of it. Without tools, the Qwen templates reduce to:
//
// Plain (OpenHermes; Qwen1.5/Qwen2/Qwen2.5 add a default system turn when messages[0] is not
// a system message):
//   {% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']
//   + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}
//
// Qwen3 (tokenizers/qwen3 fixture), the assistant branch:
//   content = message.content; reasoning_content = ''
//   if '</think>' in content:
//     content = content.split('</think>')[-1].lstrip('\n')
//     reasoning_content = content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n')
//   if loop.index0 > ns.last_query_index and (loop.last or reasoning_content):
//     '<|im_start|>assistant\n<think>\n' + reasoning_content.strip('\n') + '\n</think>\n\n' + content.lstrip('\n')
//   else: '<|im_start|>assistant\n' + content
//   then '<|im_end|>\n'
// where last_query_index is the last user message that is not a <tool_response> wrapper, and
// the generation prompt gains '<think>\n\n</think>\n\n' when enable_thinking is false.
#include "runtime/chat/python_strings.h"
#include "runtime/chat/render_formats.h"

namespace llmrun::chat::detail {
namespace {

void append_turn(std::string& out, std::string_view role, std::string_view content) {
  out.append("<|im_start|>").append(role).append("\n").append(content).append("<|im_end|>\n");
}

bool is_tool_response(const std::string& content) {
  const std::string_view open = "<tool_response>", close = "</tool_response>";
  return content.size() >= open.size() && content.compare(0, open.size(), open) == 0 &&
         content.size() >= close.size() &&
         content.compare(content.size() - close.size(), close.size(), close) == 0;
}

// Index of the last user turn that asks something (Qwen3's ns.last_query_index); the last
// index when there is none.
size_t last_query_index(const std::vector<Message>& messages) {
  for (size_t i = messages.size(); i-- > 0;)
    if (messages[i].role == kUser && !is_tool_response(messages[i].content)) return i;
  return messages.size() - 1;
}

void append_qwen3_assistant(std::string& out, const std::string& text, bool after_last_query,
                            bool is_last) {
  std::string_view content = text;
  std::string_view reasoning;
  if (text.find("</think>") != std::string::npos) {
    content = py_lstrip_char(after_last(text, "</think>"), '\n');
    reasoning = py_lstrip_char(
        after_last(py_rstrip_char(before_first(text, "</think>"), '\n'), "<think>"), '\n');
  }
  out.append("<|im_start|>assistant\n");
  if (after_last_query && (is_last || !reasoning.empty())) {
    out.append("<think>\n").append(py_strip_char(reasoning, '\n')).append("\n</think>\n\n");
    content = py_lstrip_char(content, '\n');
  }
  out.append(content).append("<|im_end|>\n");
}

}  // namespace

std::string render_chatml(const ChatFormat& format, const std::vector<Message>& messages,
                          const RenderOptions& options) {
  std::string out;
  if (!format.default_system.empty() && messages.front().role != kSystem)
    append_turn(out, kSystem, format.default_system);
  const size_t last_query = last_query_index(messages);
  for (size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    if (format.thinking && m.role == kAssistant)
      append_qwen3_assistant(out, m.content, i > last_query, i + 1 == messages.size());
    else
      append_turn(out, m.role, m.content);
  }
  if (options.add_generation_prompt || format.generation_prompt_always) {
    out.append("<|im_start|>assistant\n");
    if (format.thinking && !options.enable_thinking) out.append("<think>\n\n</think>\n\n");
  }
  return out;
}

}  // namespace llmrun::chat::detail
