// Llama 3 (Meta-Llama-3-8B-Instruct; the llama3 fixture has the first release, which lacks
// the add_generation_prompt check):
//   {% set loop_messages = messages %}{% for message in loop_messages %}
//   {% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'
//                    + message['content'] | trim + '<|eot_id|>' %}
//   {% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}
//   {% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}
// `trim` binds to message['content'] only and is Python's str.strip(); bos_token is
// <|begin_of_text|>, so the prompt carries its own BOS (tokenize it without adding one).
#include "runtime/chat/python_strings.h"
#include "runtime/chat/render_formats.h"

namespace llmrun::chat::detail {

std::string render_llama3(const ChatFormat& format, const std::vector<Message>& messages,
                          const RenderOptions& options) {
  std::string out = "<|begin_of_text|>";
  for (const Message& m : messages) {
    out.append("<|start_header_id|>").append(m.role).append("<|end_header_id|>\n\n");
    out.append(py_strip(m.content)).append("<|eot_id|>");
  }
  if (options.add_generation_prompt || format.generation_prompt_always)
    out.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
  return out;
}

}  // namespace llmrun::chat::detail
