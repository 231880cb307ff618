// tokenizer_config.json: the chat template (a string or a list of named templates) and
// which renderer it maps to, a conversation rendered with it, and the special tokens
// (bos/eos/pad names, add_bos_token) read beside a tokenizer.
#include "fuzz/harness.h"
#include "fuzz/targets/small_tokenizer.h"
#include "loaders/tokenizer/special_tokens_config.h"
#include "runtime/chat/conversation.h"
#include "runtime/chat/detect_chat_format.h"

namespace llmrun::fuzz {

void tokenizer_config(const uint8_t* data, size_t size) {
  Scratch& s = Scratch::get();
  const std::string path = s.write("tokcfg/tokenizer_config.json", data, size);
  expect_clean([&] {
    const chat::ChatFormatDetection detected = chat::detect_chat_format_from_tokenizer_config(path);
    chat::Conversation conversation;
    conversation.set_system("Be brief.");
    conversation.add_user("Hi <|im_end|> [INST]");
    conversation.add_assistant("<think>\nhm\n</think>\n\nHello.");
    conversation.add_user("Again?");
    const std::string prompt = conversation.render(detected.format);
    (void)conversation.update(detected.format, prompt.substr(0, prompt.size() / 2));
  });
  expect_clean([&] { (void)tok::read_special_tokens(s.dir() + "/tokcfg", small_tokenizer(), {}); });
}

}  // namespace llmrun::fuzz
