#pragma once
// Which ChatFormat a checkpoint's chat_template is, from marker strings (as llama.cpp does;
// no Jinja parsing):
//   <|im_start|>        -> chatml; thinking when the template mentions <think> or
//                          enable_thinking; default_system from a literal
//                          '<|im_start|>system\n...<|im_end|>\n' (Qwen1.5/2/2.5)
//   <|start_header_id|> -> llama3
//   [INST]              -> llama2 when it has <<SYS>>, else mistral
//   absent or empty     -> none
// generation_prompt_always is set when a chatml/llama3 template never reads
// add_generation_prompt. A template that is recognised only roughly (Llama 3.1's dated
// system block, Mistral v3/Tekken spacing, Phi-4, an unknown family) comes back with a note
// saying what will differ, for the caller to print.
#include <string>

#include "runtime/chat/chat_format.h"

namespace llmrun::chat {

struct ChatFormatDetection {
  ChatFormat format;
  std::string note;  // empty when the renderer reproduces the template exactly
};

ChatFormatDetection detect_chat_format(const std::string& chat_template);

// Reads `chat_template` from a tokenizer_config.json: a string, or a list of
// {"name", "template"} whose "default" entry is used; when the key is absent, a
// chat_template.jinja beside the file (newer transformers save it there). Neither: none.
// Throws llmrun::Error naming the file when it cannot be read or parsed.
ChatFormatDetection detect_chat_format_from_tokenizer_config(const std::string& path);

}  // namespace llmrun::chat
