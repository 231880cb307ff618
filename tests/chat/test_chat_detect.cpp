// Format detection from chat_template strings and tokenizer_config.json files: the fixture
// configs (Qwen3, Llama 3), the layouts transformers writes, and the refusals.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <functional>

#include "runtime/chat/detect_chat_format.h"
#include "runtime/error.h"
#include "tests/test_support.h"

namespace llmrun::chat {
namespace {

namespace fs = std::filesystem;

using ::llmrun::testing::error_of;

// A scratch folder removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("llmrun_chat_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = path / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

TEST(DetectChatFormat, Qwen3Fixture) {
  LLMRUN_REQUIRE_FIXTURE(path, "tokenizers/qwen3/tokenizer_config.json");
  const ChatFormatDetection d = detect_chat_format_from_tokenizer_config(path);
  EXPECT_EQ(chat_format_name(d.format), "qwen3");
  EXPECT_TRUE(d.format.thinking);
  EXPECT_EQ(d.format.default_system, "");  // Qwen3 writes no default system turn
  EXPECT_FALSE(d.format.generation_prompt_always);
  EXPECT_EQ(d.note, "");
}

TEST(DetectChatFormat, Llama3Fixture) {
  LLMRUN_REQUIRE_FIXTURE(path, "tokenizers/llama3/tokenizer_config.json");
  const ChatFormatDetection d = detect_chat_format_from_tokenizer_config(path);
  EXPECT_EQ(chat_format_name(d.format), "llama3");
  // The fixture's template is Llama 3's first one: no add_generation_prompt check.
  EXPECT_TRUE(d.format.generation_prompt_always);
  EXPECT_EQ(d.note, "");
}

TEST(DetectChatFormat, AbsentOrEmptyTemplateIsNone) {
  EXPECT_EQ(detect_chat_format("").format.id, ChatFormatId::none);
  EXPECT_EQ(detect_chat_format("").note, "");
  TempDir dir;
  const std::string path = dir.write("tokenizer_config.json", R"({"eos_token": "</s>"})");
  EXPECT_EQ(detect_chat_format_from_tokenizer_config(path).format.id, ChatFormatId::none);
  const std::string null_path =
      dir.write("tokenizer_config.json", R"({"chat_template": null})");
  EXPECT_EQ(detect_chat_format_from_tokenizer_config(null_path).format.id, ChatFormatId::none);
}

TEST(DetectChatFormat, UnknownTemplateIsNoneWithANote) {
  const ChatFormatDetection d =
      detect_chat_format("{% for m in messages %}<start_of_turn>{{ m.content }}{% endfor %}");
  EXPECT_EQ(d.format.id, ChatFormatId::none);
  EXPECT_NE(d.note.find("--chat-format"), std::string::npos) << d.note;
}

TEST(DetectChatFormat, ChatmlDefaultSystemInEitherNewlineSpelling) {
  // A newline written as the Jinja escape \n, and as a raw newline inside the literal.
  const std::string escaped =
      "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nBe kind.\\n"
      "Really.<|im_end|>\\n' }}{% endif %}{{ '<|im_start|>' }}{{ add_generation_prompt }}";
  const std::string raw =
      "{% if messages[0]['role'] != 'system' %}{{ \"<|im_start|>system\nIt's me.<|im_end|>\n\" "
      "}}{% endif %}{{ '<|im_start|>' }}{{ add_generation_prompt }}";
  EXPECT_EQ(detect_chat_format(escaped).format.default_system, "Be kind.\nReally.");
  EXPECT_EQ(detect_chat_format(raw).format.default_system, "It's me.");
  EXPECT_FALSE(detect_chat_format(raw).format.thinking);
  // A system header followed by the message's content is not a default.
  EXPECT_EQ(detect_chat_format("{{ '<|im_start|>system\\n' + messages[0].content + "
                               "'<|im_end|>\\n' }}{{ add_generation_prompt }}")
                .format.default_system,
            "");
}

TEST(DetectChatFormat, ThinkingWithoutSwitchGetsANote) {
  const ChatFormatDetection d = detect_chat_format(
      "{{ '<|im_start|>' }}{% if '</think>' in m %}<think>{% endif %}{{ add_generation_prompt }}");
  EXPECT_EQ(chat_format_name(d.format), "qwen3");
  EXPECT_NE(d.note.find("enable_thinking"), std::string::npos) << d.note;
}

TEST(DetectChatFormat, Phi4GetsANote) {
  const ChatFormatDetection d = detect_chat_format(
      "{{ '<|im_start|>' + m['role'] + '<|im_sep|>' + m['content'] + '<|im_end|>' }}");
  EXPECT_EQ(d.format.id, ChatFormatId::chatml);
  EXPECT_NE(d.note.find("Phi-4"), std::string::npos) << d.note;
}

TEST(DetectChatFormat, Llama31GetsANote) {
  const ChatFormatDetection d = detect_chat_format(
      "{{- bos_token }}{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' }}"
      "{{- 'Cutting Knowledge Date: December 2023\\n' }}{% if add_generation_prompt %}{% endif %}");
  EXPECT_EQ(d.format.id, ChatFormatId::llama3);
  EXPECT_FALSE(d.format.generation_prompt_always);
  EXPECT_NE(d.note.find("Llama 3.1"), std::string::npos) << d.note;
}

TEST(DetectChatFormat, InstVariants) {
  // Mistral v3 (Mistral-7B-Instruct-v0.3): "[INST]" without the leading space.
  const ChatFormatDetection v3 = detect_chat_format(
      "{{- bos_token }}{%- for message in loop_messages %}{{- \"[INST] \" + message[\"content\"] "
      "+ \"[/INST]\" }}{%- endfor %}");
  EXPECT_EQ(v3.format.id, ChatFormatId::mistral);
  EXPECT_NE(v3.note.find("v1"), std::string::npos) << v3.note;
  // A Llama-2-like template without per-turn stripping.
  const ChatFormatDetection l2 =
      detect_chat_format("{{ '[INST] <<SYS>>\\n' + system + '\\n<</SYS>>\\n\\n' + content }}");
  EXPECT_EQ(l2.format.id, ChatFormatId::llama2);
  EXPECT_NE(l2.note, "");
}

TEST(DetectChatFormat, TemplateListAndJinjaFile) {
  TempDir dir;
  const std::string list = dir.write(
      "tokenizer_config.json",
      R"({"chat_template": [{"name": "tool_use", "template": "[INST] <<SYS>>"},
                            {"name": "default", "template": "<|start_header_id|>"}]})");
  EXPECT_EQ(detect_chat_format_from_tokenizer_config(list).format.id, ChatFormatId::llama3);

  const std::string no_default = dir.write(
      "tokenizer_config.json", R"({"chat_template": [{"name": "rag", "template": "x"}]})");
  EXPECT_NE(error_of([&] { detect_chat_format_from_tokenizer_config(no_default); })
                .find("\"default\""),
            std::string::npos);

  // Newer transformers save the template beside the config.
  const std::string bare = dir.write("tokenizer_config.json", R"({"eos_token": "<|im_end|>"})");
  dir.write("chat_template.jinja", "{{ '<|im_start|>' }}{{ add_generation_prompt }}");
  EXPECT_EQ(chat_format_name(detect_chat_format_from_tokenizer_config(bare).format), "chatml");
}

TEST(DetectChatFormat, BadFilesNameThePath) {
  TempDir dir;
  const std::string missing = (dir.path / "nope.json").string();
  EXPECT_NE(error_of([&] { detect_chat_format_from_tokenizer_config(missing); }).find(missing),
            std::string::npos);
  const std::string broken = dir.write("tokenizer_config.json", "{\"chat_template\": ");
  const std::string e = error_of([&] { detect_chat_format_from_tokenizer_config(broken); });
  EXPECT_NE(e.find(broken), std::string::npos) << e;
  EXPECT_NE(e.find("invalid JSON"), std::string::npos) << e;
  const std::string wrong_type = dir.write("tokenizer_config.json", R"({"chat_template": 3})");
  EXPECT_NE(error_of([&] { detect_chat_format_from_tokenizer_config(wrong_type); })
                .find("chat_template: expected a string"),
            std::string::npos);
}

}  // namespace
}  // namespace llmrun::chat
