// The interactive chat on a real pseudo-terminal (tmux): every slash command, multi-line
// input, Ctrl-C stopping a long reply and returning to the prompt, Ctrl-C twice and
// Ctrl-D quitting. Skips where tmux is not installed (CI installs it).
#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/cli/random_checkpoint.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

using testing::run_command;

class ChatTty : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run_command("command -v tmux").exit_code != 0) {
      if (testing::under_ci()) FAIL() << "tmux is required under CI";
      GTEST_SKIP() << "tmux not installed";
    }
    socket_ = "llmrun_test_" + std::to_string(::getpid());
    model_ = ::testing::TempDir() + socket_ + "_model";
  }
  void TearDown() override {
    run_command(tmux("kill-server"));
    std::filesystem::remove_all(model_);
  }
  std::string tmux(const std::string& args) const { return "tmux -L " + socket_ + " " + args; }
  void start(const std::string& llmrun_args) {
    // Keep the pane after llmrun exits so its exit status can be read.
    const std::string cmd = testing::bin("llmrun") + " " + llmrun_args + "; echo LLMRUN_EXIT=$?; sleep 60";
    ASSERT_EQ(run_command(tmux("new-session -d -s chat -x 200 -y 50 \"" + cmd + "\"")).exit_code, 0);
  }
  void keys(const std::string& k) { run_command(tmux("send-keys -t chat " + k)); }
  void type(const std::string& line) {
    keys("-l '" + line + "'");
    keys("Enter");
  }
  std::string screen() const { return run_command(tmux("capture-pane -p -N -S -200 -t chat"), false).output; }
  // Waits until the screen shows `text` `times` times (or more).
  bool wait_for(const std::string& text, int times = 1, double seconds = 20) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      const std::string s = screen();
      int n = 0;
      for (size_t p = s.find(text); p != std::string::npos; p = s.find(text, p + 1)) ++n;
      if (n >= times) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // Waits until at least n prompts ("> " at the start of a line) have been shown.
  bool wait_prompts(int n) { return wait_for("\n> ", n) || (n == 1 && screen().rfind("> ", 0) == 0); }
  std::string socket_, model_;
};

TEST_F(ChatTty, SlashCommandsAndMultiline) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  start("--model " + dir + " -n 8 --temp 0");
  ASSERT_TRUE(wait_prompts(1)) << screen();
  type("/help");
  ASSERT_TRUE(wait_for("/think on|off")) << screen();
  type("/system You tell stories.");
  ASSERT_TRUE(wait_for("(system prompt set; conversation cleared)")) << screen();
  type("/think on");
  ASSERT_TRUE(wait_for("(thinking on")) << screen();
  type("/think maybe");
  ASSERT_TRUE(wait_for("(usage: /think on|off)")) << screen();
  type("Once upon\\");
  ASSERT_TRUE(wait_for("... ")) << screen();
  type("a time");  // the reply, then the 6th prompt
  ASSERT_TRUE(wait_prompts(6)) << screen();
  type("/stats");
  ASSERT_TRUE(wait_for("(last reply:")) << screen();
  type("/reset");
  ASSERT_TRUE(wait_for("(conversation cleared)")) << screen();
  type("/exit");
  ASSERT_TRUE(wait_for("LLMRUN_EXIT=0")) << screen();
}

TEST_F(ChatTty, CtrlCStopsReplyThenQuits) {
  LLMRUN_REQUIRE_FIXTURE(tok, "models/stories260k");
  // Large enough that a reply of thousands of tokens takes many seconds.
  testing::write_random_llama(model_, tok, 512, 8, 1536);
  start("--model " + model_ + " --temp 0 --ctx 4096 -n 100000");
  ASSERT_TRUE(wait_prompts(1)) << screen();
  type("Once upon a time");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  keys("C-c");
  ASSERT_TRUE(wait_for("(stopped)", 1, 10)) << screen();
  ASSERT_TRUE(wait_prompts(2)) << screen();
  type("/stats");  // the chat goes on after the interrupted reply
  ASSERT_TRUE(wait_for("(last reply:")) << screen();
  keys("C-c");
  ASSERT_TRUE(wait_for("(Ctrl-C again or Ctrl-D to quit)")) << screen();
  keys("C-c");
  ASSERT_TRUE(wait_for("LLMRUN_EXIT=0")) << screen();
}

TEST_F(ChatTty, CtrlDQuits) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  start("--model " + dir + " -n 8 --temp 0");
  ASSERT_TRUE(wait_prompts(1)) << screen();
  keys("C-d");
  ASSERT_TRUE(wait_for("LLMRUN_EXIT=0")) << screen();
}

}  // namespace
}  // namespace llmrun
