// Every renderer against HF transformers' apply_chat_template output, byte for byte: the
// fixture templates (Qwen3, early Llama 3) and the official Llama-2, Mistral, Llama-3,
// ChatML, Qwen1.5 and Qwen2.5 templates, over conversations with system prompts, <think>
// blocks, unicode, whitespace edges and role orders the templates refuse.
#include <set>

#include "runtime/chat/chat_format.h"
#include "runtime/chat/conversation.h"
#include "runtime/chat/detect_chat_format.h"
#include "runtime/chat/python_strings.h"
#include "runtime/error.h"
#include "tests/chat/chat_goldens.h"
#include "tests/test_support.h"

namespace llmrun::chat {
namespace {

using testing::golden_format;
using testing::golden_messages;
using testing::goldens;

std::string describe(const nlohmann::json& c) {
  return c.at("template").get<std::string>() + " / " + c.at("conversation").get<std::string>() +
         " add_generation_prompt=" + (c.at("add_generation_prompt").get<bool>() ? "1" : "0") +
         " enable_thinking=" + (c.at("enable_thinking").get<bool>() ? "1" : "0");
}

// Checks every case of one template; returns how many there were.
int check_template_cases(const std::string& name) {
  const ChatFormat format = golden_format(name);
  int n = 0;
  for (const auto& c : goldens().at("cases")) {
    if (c.at("template") != name) continue;
    ++n;
    SCOPED_TRACE(describe(c));
    const std::vector<Message> messages = golden_messages(c.at("messages"));
    RenderOptions options;
    options.add_generation_prompt = c.at("add_generation_prompt").get<bool>();
    options.enable_thinking = c.at("enable_thinking").get<bool>();
    if (c.contains("llmrun_deviation")) {
      // HF renders something we refuse on purpose (it silently drops content).
      EXPECT_THROW(render_chat(format, messages, options), Error);
    } else if (c.contains("error")) {
      try {
        const std::string got = render_chat(format, messages, options);
        ADD_FAILURE() << "rendered " << got << "\nbut transformers raised: " << c.at("error");
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(c.at("error").get<std::string>()), std::string::npos)
            << e.what();
      }
    } else {
      EXPECT_EQ(render_chat(format, messages, options), c.at("expected").get<std::string>());
    }
  }
  return n;
}

class ChatGoldens : public ::testing::TestWithParam<std::string> {};

TEST_P(ChatGoldens, RenderEqualsTransformers) {
  ASSERT_FALSE(goldens().is_null()) << "cannot read " << LLMRUN_CHAT_GOLDENS;
  EXPECT_GE(check_template_cases(GetParam()), 40);
}

INSTANTIATE_TEST_SUITE_P(Templates, ChatGoldens,
                         ::testing::Values("qwen3-fixture", "llama3-fixture", "llama3-official",
                                           "llama2-official", "mistral-official",
                                           "chatml-openhermes", "qwen15-official",
                                           "qwen25-official"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

TEST(ChatGoldens, EveryTemplateIsTested) {
  ASSERT_FALSE(goldens().is_null());
  std::set<std::string> names;
  for (const auto& c : goldens().at("cases")) names.insert(c.at("template").get<std::string>());
  EXPECT_EQ(names.size(), 8u) << "a template in the goldens has no ChatGoldens instance";
  EXPECT_EQ(goldens().at("templates").size(), 8u);
}

// The official templates are stored in the goldens: each must be detected as the format it
// was rendered with, without a note (the fixture ones are checked in test_chat_detect.cpp).
TEST(ChatGoldens, OfficialTemplatesAreDetected) {
  int n = 0;
  for (const auto& [name, spec] : goldens().at("templates").items()) {
    if (!spec.contains("template")) continue;
    ++n;
    SCOPED_TRACE(name);
    const ChatFormatDetection d = detect_chat_format(spec.at("template").get<std::string>());
    EXPECT_EQ(chat_format_name(d.format), chat_format_name(golden_format(name)));
    EXPECT_EQ(d.format.default_system, golden_format(name).default_system);
    EXPECT_TRUE(d.format == golden_format(name));
    EXPECT_EQ(d.note, "");
  }
  EXPECT_EQ(n, 6);
}

// A chat loop as the runtime runs it: prompt, generated reply (the stop token is not fed),
// next prompt. transformers decided whether each prompt starts with what the cache holds.
TEST(ChatGoldens, IncrementalTurnsMatchTransformers) {
  int n = 0;
  for (const auto& dialogue : goldens().at("dialogues")) {
    const std::string name = dialogue.at("template");
    SCOPED_TRACE(name + " thinking=" + (dialogue.at("enable_thinking").get<bool>() ? "1" : "0") +
                 " system='" + dialogue.at("system").get<std::string>() + "'");
    const ChatFormat format = golden_format(name);
    const bool think = dialogue.at("enable_thinking").get<bool>();
    Conversation conversation;
    conversation.set_system(dialogue.at("system").get<std::string>());
    std::string fed;
    bool all_reused = true;
    size_t step_index = 0;
    for (const auto& step : dialogue.at("steps")) {
      conversation.add_user(step.at("user").get<std::string>());
      const PromptUpdate u = conversation.update(format, fed, true, think);
      EXPECT_EQ(u.prompt, step.at("prompt").get<std::string>());
      if (step_index++ > 0) {
        const bool hf_reusable = step.at("cache_prefix_reusable").get<bool>();
        EXPECT_EQ(u.reuse_prefix, hf_reusable);
        all_reused = all_reused && hf_reusable;
      }
      if (u.reuse_prefix) {
        EXPECT_EQ(fed + u.suffix, u.prompt);
        // The new part begins with the turn's closing special token (token-safe boundary).
        if (!fed.empty() && format.id == ChatFormatId::chatml) {
          EXPECT_EQ(u.suffix.rfind("<|im_end|>", 0), 0u) << u.suffix;
        }
        if (!fed.empty() && format.id == ChatFormatId::llama3) {
          EXPECT_EQ(u.suffix.rfind("<|eot_id|>", 0), 0u) << u.suffix;
        }
      } else {
        EXPECT_EQ(u.suffix, u.prompt);
      }
      fed = u.prompt + step.at("generated").get<std::string>();
      conversation.add_assistant(step.at("stored_reply").get<std::string>());
      ++n;
    }
    EXPECT_EQ(history_prefix_stable(format), all_reused);
  }
  EXPECT_GE(n, 40);
}

// Python's str.isspace() over every code point is what Jinja's trim and str.strip() remove.
TEST(ChatGoldens, WhitespaceIsPythons) {
  std::set<char32_t> python;
  for (const auto& cp : goldens().at("python_whitespace")) python.insert(cp.get<char32_t>());
  ASSERT_EQ(python.size(), 29u);
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp)
    ASSERT_EQ(is_python_whitespace(cp), python.count(cp) == 1) << "U+" << std::hex << cp;
}

}  // namespace
}  // namespace llmrun::chat
