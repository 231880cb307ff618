// Conversation state and incremental prompts (the transformers-checked chat loops are in
// test_chat_goldens.cpp).
#include "runtime/chat/conversation.h"
#include "runtime/error.h"
#include "tests/test_support.h"

namespace llmrun::chat {
namespace {

TEST(Conversation, SystemPromptComesFirst) {
  Conversation c;
  c.add_user("Hi");
  c.set_system("Be brief.");
  c.add_assistant("Hello.");
  const std::vector<Message> m = c.messages();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].role, "system");
  EXPECT_EQ(m[0].content, "Be brief.");
  EXPECT_EQ(m[1].role, "user");
  EXPECT_EQ(m[2].role, "assistant");
  EXPECT_EQ(c.turns().size(), 2u);

  c.set_system("");
  EXPECT_EQ(c.messages().size(), 2u);  // an empty system prompt is no system message
  c.set_system("S");
  c.clear();
  EXPECT_TRUE(c.turns().empty());
  EXPECT_EQ(c.system(), "S");  // /reset keeps the system prompt
}

TEST(Conversation, RefusesOtherRoles) {
  Conversation c;
  EXPECT_THROW(c.add("system", "x"), Error);
  EXPECT_THROW(c.add("tool", "x"), Error);
  c.add("user", "ok");
  EXPECT_EQ(c.turns().size(), 1u);
}

TEST(Conversation, RenderIsRenderChatOfItsMessages) {
  Conversation c;
  c.set_system("S");
  c.add_user("U");
  const ChatFormat qwen3 = parse_chat_format("qwen3");
  RenderOptions no_think;
  no_think.enable_thinking = false;
  EXPECT_EQ(c.render(qwen3, true, false), render_chat(qwen3, c.messages(), no_think));
  EXPECT_EQ(c.render(qwen3), render_chat(qwen3, c.messages()));
}

TEST(Conversation, UpdateFeedsOnlyTheNewPartWhenThePrefixHolds) {
  Conversation c;
  c.add_user("Hi");
  const ChatFormat chatml = parse_chat_format("chatml");
  const PromptUpdate first = c.update(chatml, "");
  EXPECT_TRUE(first.reuse_prefix);  // empty cache
  EXPECT_EQ(first.suffix, first.prompt);
  EXPECT_EQ(first.prompt, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");

  const std::string fed = first.prompt + "Hello!";
  c.add_assistant("Hello!");
  c.add_user("Bye");
  const PromptUpdate second = c.update(chatml, fed);
  EXPECT_TRUE(second.reuse_prefix);
  EXPECT_EQ(second.suffix, "<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");

  // The cache holds something else (a different reply): everything is fed again.
  const PromptUpdate other = c.update(chatml, first.prompt + "Howdy");
  EXPECT_FALSE(other.reuse_prefix);
  EXPECT_EQ(other.suffix, other.prompt);
  // The cache holds more than the new prompt.
  EXPECT_FALSE(c.update(chatml, second.prompt + "x").reuse_prefix);
}

TEST(Conversation, Qwen3RewritesThinkingHistory) {
  // Qwen3 drops <think> from answered turns: the cache cannot be kept (see README.md).
  Conversation c;
  c.add_user("Hi");
  const ChatFormat qwen3 = parse_chat_format("qwen3");
  const std::string reply = "<think>\nGreeting.\n</think>\n\nHello!";
  const std::string fed = c.render(qwen3) + reply;
  c.add_assistant(reply);
  c.add_user("Bye");
  const PromptUpdate u = c.update(qwen3, fed);
  EXPECT_FALSE(u.reuse_prefix);
  EXPECT_NE(u.prompt.find("<|im_start|>assistant\nHello!<|im_end|>"), std::string::npos) << u.prompt;
  EXPECT_EQ(u.prompt.find("Greeting."), std::string::npos) << u.prompt;
}

}  // namespace
}  // namespace llmrun::chat
