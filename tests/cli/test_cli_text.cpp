// llmrun with text: the stories260k golden end to end, tokenize/detokenize, piped chat.
#include <filesystem>
#include <fstream>

#include "tests/cli/random_checkpoint.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

using testing::bin;
using testing::run_command;

// stdout only (stderr has the load summary).
testing::CommandResult llmrun_out(const std::string& args) {
  return run_command(bin("llmrun") + " " + args + " 2>/dev/null", false);
}

TEST(LlmrunText, StoriesContinuationEqualsGoldenText) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  auto r = llmrun_out("--model " + dir + " -p 'Once upon a time' -n 196 --temp 0");
  ASSERT_EQ(r.exit_code, 0);
  // The golden is the text of BOS + 200 greedy ids; the prompt is 4 of them.
  EXPECT_EQ("Once upon a time" + r.output, testing::read_file(dir + "/expected_greedy.txt"));
}

TEST(LlmrunText, PromptFromFileAndStdin) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  const std::string file = ::testing::TempDir() + "llmrun_prompt.txt";
  std::ofstream(file) << "Once upon a time";
  const auto from_p = llmrun_out("--model " + dir + " -p 'Once upon a time' -n 20 --temp 0");
  EXPECT_EQ(llmrun_out("--model " + dir + " -f " + file + " -n 20 --temp 0").output, from_p.output);
  EXPECT_EQ(run_command("printf 'Once upon a time' | " + bin("llmrun") + " --model " + dir + " -f - -n 20 --temp 0 2>/dev/null", false).output,
            from_p.output);
  std::remove(file.c_str());
}

TEST(LlmrunText, SeededSamplingReproduces) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  const std::string args = "--model " + dir + " -p 'Once upon a time' -n 40 --temp 1.0 --top-p 0.9";
  const auto a = llmrun_out(args + " --seed 5"), b = llmrun_out(args + " --seed 5"), c = llmrun_out(args + " --seed 6");
  EXPECT_EQ(a.output, b.output);
  EXPECT_NE(a.output, c.output);
}

// Ids from llama2.c's own golden: BOS then "Once upon a time".
TEST(LlmrunText, TokenizeAndDetokenize) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  EXPECT_EQ(llmrun_out("tokenize --model " + dir + " 'Once upon a time'").output, "1 403 407 261 378\n");
  EXPECT_EQ(llmrun_out("tokenize --model " + dir + " --no-special 'Once upon a time'").output, "403 407 261 378\n");
  EXPECT_EQ(llmrun_out("detokenize --model " + dir + " --skip-special 1,403,407,261,378").output, "Once upon a time");
  EXPECT_EQ(run_command("echo '1 403 407 261 378' | " + bin("llmrun") + " detokenize --model " + dir + " --skip-special", false).output,
            "Once upon a time");
  auto bad = run_command(bin("llmrun") + " detokenize --model " + dir + " 1,x");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  auto missing = run_command(bin("llmrun") + " tokenize --model /nonexistent/tok.json hi");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("/nonexistent/tok.json"), std::string::npos) << missing.output;
}

TEST(LlmrunText, BadTextFlags) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  auto r = run_command(bin("llmrun") + " --model " + dir + " -p hi --think maybe");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--think must be show, hide or off"), std::string::npos) << r.output;
  r = run_command(bin("llmrun") + " --model " + dir + " -p hi --chat-format jinja");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--chat-format"), std::string::npos) << r.output;
  r = run_command(bin("llmrun") + " --model " + dir + " -f /nonexistent/prompt.txt");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("-f /nonexistent/prompt.txt: cannot open"), std::string::npos) << r.output;
}

// Stdin that is not a terminal: one user turn per line, slash commands included.
TEST(LlmrunChatPiped, TurnsAndCommands) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  auto r = run_command("printf 'Once upon a time\\n/stats\\n/reset\\n/bogus\\nLily\\n' | " + bin("llmrun") +
                           " --model " + dir + " -n 10 --temp 0 2>/dev/null", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto single = llmrun_out("--model " + dir + " -p 'Once upon a time' -n 10 --temp 0").output;
  EXPECT_EQ(r.output.find(single), 0u) << r.output;  // the first reply equals a one-shot completion
  EXPECT_NE(r.output.find("(last reply: 5 prompt tokens"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(conversation cleared)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(unknown command /bogus"), std::string::npos) << r.output;
}

TEST(LlmrunChatPiped, ContextFullIsReported) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  auto r = run_command("printf 'Once upon a time\\nand then\\n' | " + bin("llmrun") + " --model " + dir +
                       " --ctx 32 -n 1000 --temp 0");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("the context of 32 tokens is full"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace llmrun
