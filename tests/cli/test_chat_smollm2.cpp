// Three chat turns through the `llmrun` binary (stdin piped: one user turn per line) on a
// real chat model, SmolLM2-135M-Instruct Q4_1 (scripts/fetch_smollm2.sh), greedy. Each
// turn's prompt ids, printed by --show-prompt-ids, must equal what HF transformers'
// apply_chat_template(tokenize=True, add_generation_prompt=True) gives for the same
// messages, and each reply must be transformers' greedy reply (the "chat" part of
// tests/data/gguf/smollm2_golden.json, scripts/make_gguf_model_goldens.py). So the
// conversation is rendered from the GGUF's chat template, tokenized, and the replies stored
// back into it exactly as transformers would. Skipped without the model; a failure under CI.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace llmrun {
namespace {

std::vector<std::vector<int32_t>> printed_prompt_ids(const std::string& stderr_text) {
  const std::string tag = "llmrun: prompt ids: ";
  std::vector<std::vector<int32_t>> out;
  std::istringstream lines(stderr_text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(tag, 0) != 0) continue;
    std::vector<int32_t> ids;
    std::istringstream fields(line.substr(tag.size()));
    for (std::string f; std::getline(fields, f, ',');) ids.push_back(std::stoi(f));
    out.push_back(ids);
  }
  return out;
}

TEST(ChatSmolLM2, ThreeTurnsPromptIdsEqualApplyChatTemplate) {
  const std::string model = testing::smollm2_gguf();
  if (!testing::path_exists(model)) {
    if (testing::under_ci()) FAIL() << model << " missing: run scripts/fetch_smollm2.sh";
    GTEST_SKIP() << model << " missing: run scripts/fetch_smollm2.sh";
  }
  const auto golden = nlohmann::json::parse(testing::read_file(testing::test_data("gguf/smollm2_golden.json")));
  const auto& chat = golden.at("chat");
  const auto& turns = chat.at("turns");
  ASSERT_EQ(turns.size(), 3u);
  const std::string input = ::testing::TempDir() + "chat_smollm2_in.txt";
  const std::string err = ::testing::TempDir() + "chat_smollm2_err.txt";
  {
    std::ofstream in(input);
    for (const auto& t : turns) in << t.at("user").get<std::string>() << "\n";
  }
  const testing::CommandResult r = testing::run_command(
      testing::bin("llmrun") + " --model " + model + " --temp 0 --repeat-penalty 1 --threads 2 -n " +
          std::to_string(chat.at("max_reply_tokens").get<int>()) + " --show-prompt-ids < " + input + " 2> " + err,
      /*merge_stderr=*/false);
  const std::string stderr_text = testing::read_file(err);
  std::filesystem::remove(input);
  std::filesystem::remove(err);
  ASSERT_EQ(r.exit_code, 0) << r.output << stderr_text;

  const auto printed = printed_prompt_ids(stderr_text);
  ASSERT_EQ(printed.size(), turns.size()) << stderr_text;
  std::string replies;
  for (size_t i = 0; i < turns.size(); ++i) {
    EXPECT_EQ(printed[i], turns[i].at("prompt_ids").get<std::vector<int32_t>>()) << "turn " << i + 1;
    replies += turns[i].at("reply").get<std::string>() + "\n";
  }
  // Piped input: no prompt or banner, each reply then a newline.
  EXPECT_EQ(r.output, replies);
}

}  // namespace
}  // namespace llmrun
