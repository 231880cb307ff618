// The format table: names, --chat-format parsing, stop strings, prefix stability, the
// checks render_chat() shares, and the Python string helpers.
#include <functional>

#include "runtime/chat/chat_format.h"
#include "runtime/chat/python_strings.h"
#include "runtime/error.h"
#include "tests/test_support.h"

namespace llmrun::chat {
namespace {

using ::llmrun::testing::error_of;

TEST(ChatFormat, NamesRoundTrip) {
  const std::vector<std::string> expected = {"none", "chatml", "qwen3", "llama3", "llama2", "mistral"};
  EXPECT_EQ(chat_format_names(), expected);
  for (const std::string& name : expected) EXPECT_EQ(chat_format_name(parse_chat_format(name)), name);
  EXPECT_TRUE(parse_chat_format("qwen3").thinking);
  EXPECT_EQ(parse_chat_format("qwen3").id, ChatFormatId::chatml);
  // The thinking switch only exists for chatml.
  ChatFormat llama3 = parse_chat_format("llama3");
  llama3.thinking = true;
  EXPECT_EQ(chat_format_name(llama3), "llama3");
}

TEST(ChatFormat, UnknownNameListsTheValidOnes) {
  const std::string e = error_of([] { parse_chat_format("vicuna"); });
  EXPECT_NE(e.find("--chat-format"), std::string::npos) << e;
  EXPECT_NE(e.find("'vicuna'"), std::string::npos) << e;
  EXPECT_NE(e.find("none, chatml, qwen3, llama3, llama2, mistral"), std::string::npos) << e;
  EXPECT_NE(error_of([] { parse_chat_format("ChatML"); }), "(no error)");  // names are exact
}

TEST(ChatFormat, StopStrings) {
  using V = std::vector<std::string>;
  EXPECT_EQ(stop_strings(parse_chat_format("none")), V{});
  EXPECT_EQ(stop_strings(parse_chat_format("chatml")), (V{"<|im_end|>", "<|endoftext|>"}));
  EXPECT_EQ(stop_strings(parse_chat_format("qwen3")), (V{"<|im_end|>", "<|endoftext|>"}));
  EXPECT_EQ(stop_strings(parse_chat_format("llama3")), (V{"<|eot_id|>", "<|end_of_text|>"}));
  EXPECT_EQ(stop_strings(parse_chat_format("llama2")), V{"</s>"});
  EXPECT_EQ(stop_strings(parse_chat_format("mistral")), V{"</s>"});
}

TEST(ChatFormat, PrefixStability) {
  // Checked against transformers in ChatGoldens.IncrementalTurnsMatchTransformers; here the
  // none format, which has no template to compare with.
  EXPECT_TRUE(history_prefix_stable(parse_chat_format("none")));
  EXPECT_FALSE(history_prefix_stable(parse_chat_format("qwen3")));
}

TEST(ChatFormat, PlainFormatConcatenatesContents) {
  const ChatFormat none = parse_chat_format("none");
  EXPECT_EQ(render_chat(none, {{"user", "Once upon"}, {"assistant", " a time"}}), "Once upon a time");
  EXPECT_EQ(render_chat(none, {{"system", "S"}, {"user", "U"}}, {false, false}), "SU");
}

TEST(ChatFormat, RenderRefusesEmptyAndUnknownRoles) {
  for (const std::string& name : chat_format_names()) {
    SCOPED_TRACE(name);
    const ChatFormat f = parse_chat_format(name);
    EXPECT_NE(error_of([&] { render_chat(f, {}); }).find("no messages"), std::string::npos);
    const std::string e = error_of([&] { render_chat(f, {{"user", "q"}, {"tool", "42"}}); });
    EXPECT_NE(e.find("messages[1] has role 'tool'"), std::string::npos) << e;
    EXPECT_NE(e.find(name + " chat format"), std::string::npos) << e;
  }
}

TEST(ChatFormat, InstErrorsNameTheMessage) {
  const std::string e = error_of(
      [] { render_chat(parse_chat_format("llama2"), {{"system", "s"}, {"user", "a"}, {"user", "b"}}); });
  EXPECT_NE(e.find("llama2 chat format: messages[2] is 'user'"), std::string::npos) << e;
  EXPECT_NE(e.find("Conversation roles must alternate"), std::string::npos) << e;
}

TEST(PythonStrings, Strip) {
  EXPECT_EQ(py_strip("  a b \t\n"), "a b");
  EXPECT_EQ(py_strip(" \t\r\n\v\f"), "");
  EXPECT_EQ(py_strip(""), "");
  EXPECT_EQ(py_strip("\u3000\u00a0x\u2003\u2028"), "x");
  EXPECT_EQ(py_strip("\u200bx\u200b"), "\u200bx\u200b");  // zero-width space is not whitespace
  EXPECT_EQ(py_strip("\u00e9 "), "\u00e9");                 // é ends in a byte that is not 0x85/0xA0
  // Invalid UTF-8 is kept: a lone continuation byte 0xA0 and a truncated 0xC2.
  EXPECT_EQ(py_strip(std::string("\xA0x\xC2", 3)), std::string("\xA0x\xC2", 3));
  // Overlong encoding of a space (C0 A0) is not a space.
  EXPECT_EQ(py_strip(std::string("\xC0\xA0", 2)), std::string("\xC0\xA0", 2));
  // U+00A0 encoded after a 3-byte character: only the NBSP goes.
  EXPECT_EQ(py_strip("\u4e16\u00a0"), "\u4e16");
}

TEST(PythonStrings, CharStripAndSplit) {
  EXPECT_EQ(py_lstrip_char("\n\na\n", '\n'), "a\n");
  EXPECT_EQ(py_rstrip_char("\na\n\n", '\n'), "\na");
  EXPECT_EQ(py_strip_char("\n\n", '\n'), "");
  EXPECT_EQ(before_first("a</think>b</think>c", "</think>"), "a");
  EXPECT_EQ(after_last("a</think>b</think>c", "</think>"), "c");
  EXPECT_EQ(after_last("abc", "<think>"), "abc");
  EXPECT_EQ(before_first("abc", "</think>"), "abc");
}

}  // namespace
}  // namespace llmrun::chat
