#pragma once
// Chat prompt formats: which template a checkpoint's chat_template is, and the few switches
// where checkpoints of one family differ. Each format is one row of a table
// (chat_format.cpp): its --chat-format name, renderer, stop strings and whether a
// conversation's next prompt always extends the previous one (KV-cache reuse).
//
// The renderers reproduce HF transformers' apply_chat_template(tokenize=False) byte for
// byte for the templates listed in runtime/chat/README.md (tests/chat checks it against
// strings rendered by transformers). Tools, images and other template features are not
// supported.
#include <string>
#include <vector>

#include "runtime/chat/message.h"

namespace llmrun::chat {

enum class ChatFormatId {
  none,     // plain completion: the messages' contents concatenated, no markup
  chatml,   // <|im_start|>role\n...<|im_end|>\n  (Qwen1.5/2/2.5/3, OpenHermes, ...)
  llama3,   // <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>
  llama2,   // <s>[INST] <<SYS>>\n...\n<</SYS>>\n\n... [/INST] ... </s>  (Llama-2-chat)
  mistral,  // <s> [INST] ... [/INST] ...</s>  (Mistral-7B-Instruct v0.1/v0.2, Mixtral 8x7B)
};

struct ChatFormat {
  ChatFormatId id = ChatFormatId::none;
  // chatml only: Qwen3's rules. <think>...</think> is dropped from assistant turns before
  // the last user turn, and enable_thinking=false writes an empty think block after the
  // generation prompt.
  bool thinking = false;
  // chatml only: the system turn the template writes when the conversation has none
  // (Qwen1.5/Qwen2: "You are a helpful assistant.", Qwen2.5: "You are Qwen, ...").
  std::string default_system;
  // The template writes the assistant header even when add_generation_prompt is false (the
  // first Llama-3 template did; the llama3 fixture still has it).
  bool generation_prompt_always = false;

  bool operator==(const ChatFormat& o) const {
    return id == o.id && thinking == o.thinking && default_system == o.default_system &&
           generation_prompt_always == o.generation_prompt_always;
  }
  bool operator!=(const ChatFormat& o) const { return !(*this == o); }
};

struct RenderOptions {
  bool add_generation_prompt = true;  // end with the assistant header, ready to generate
  bool enable_thinking = true;        // Qwen3 only; false: "<think>\n\n</think>\n\n" after it
};

// The --chat-format names: none, chatml, qwen3 (chatml with thinking), llama3, llama2, mistral.
std::vector<std::string> chat_format_names();
// "qwen3" for chatml with thinking; the other formats by their id.
std::string chat_format_name(const ChatFormat& format);
// Parses a --chat-format value; throws llmrun::Error listing the valid names.
ChatFormat parse_chat_format(const std::string& name);

// The prompt for `messages` (system turns included, in order), as the format's HF template
// renders it. Throws llmrun::Error for an empty list, a role other than system/user/assistant,
// or an order the template refuses (llama2/mistral: user and assistant must alternate after
// an optional leading system message), quoting the template's own message.
std::string render_chat(const ChatFormat& format, const std::vector<Message>& messages,
                        const RenderOptions& options = {});

// Strings that end a reply in this format (the runtime maps each to a token id with the
// tokenizer and ignores those that are not single tokens of the vocabulary). Empty for none:
// use the tokenizer's eos.
std::vector<std::string> stop_strings(const ChatFormat& format);

// True when the next turn's prompt starts with the previous prompt followed by the reply as
// the model generated it (the stop token is sampled, never fed back), so the KV cache can be
// kept and only the new text fed; see Conversation::update and README.md for the conditions.
// False for Qwen3 (thinking): its template rewrites earlier assistant turns (drops their
// <think> block, and the empty one enable_thinking=false adds), so the cache must be
// rebuilt from the first changed token.
bool history_prefix_stable(const ChatFormat& format);

}  // namespace llmrun::chat
