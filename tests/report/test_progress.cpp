// The progress bar: exact line text for given counts and times, throttled redraws on an
// injected stream, and silence when disabled.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <thread>

#include "eval/progress.h"

namespace llmrun::eval {
namespace {

TEST(ProgressLine, FormatsBarCountPercentRateAndEta) {
  // 1234/5153 = 23.9%: 7 of 30 cells, 23% (floored); 12.34 it/s; 3919 left / 12.34 = 317.6 s -> 5m18s.
  EXPECT_EQ(progress_line("lambada", 1234, 5153, 100.0, false),
            "lambada [#######.......................] 1234/5153 23% 12.3 it/s ETA 5m18s");
  // Final: elapsed time instead of the ETA; 10 / 62.2 = 0.161 it/s; 62.2 s -> 1m03s.
  EXPECT_EQ(progress_line("x", 10, 10, 62.2, true), "x [##############################] 10/10 100% 0.161 it/s in 1m03s");
  EXPECT_EQ(progress_line("x", 0, 5, 0.0, false), "x [..............................] 0/5 0% -- it/s ETA --");
  // Unknown total: count and rate only.
  EXPECT_EQ(progress_line("tokens", 50, 0, 2.0, false), "tokens 50 25.0 it/s");
  // More done than announced does not overflow the bar.
  EXPECT_EQ(progress_line("x", 12, 10, 1.0, false), "x [##############################] 12/10 100% 12.0 it/s ETA 0s");
}

TEST(ProgressLine, Durations) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(41.2), "42s");
  EXPECT_EQ(format_duration(59.5), "1m00s");
  EXPECT_EQ(format_duration(62), "1m02s");
  EXPECT_EQ(format_duration(3725), "1h02m");
}

TEST(Progress, DisabledPrintsNothing) {
  ::testing::internal::CaptureStderr();
  {
    Progress progress("quiet", 100, false);
    for (int i = 0; i < 100; ++i) progress.advance();
    progress.finish();
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(Progress, DrawsOnTheInjectedStreamAndEndsWithOneLine) {
  std::ostringstream out;
  {
    Progress progress("lambada", 5153, out);
    for (int i = 0; i < 5153; ++i) progress.advance();
    progress.finish();
    progress.finish();  // a second finish adds nothing
  }
  const std::string text = out.str();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.front(), '\r');
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_EQ(text.back(), '\n');
  // The loop takes far less than 100 ms: the first draw and the final one only.
  EXPECT_LE(std::count(text.begin(), text.end(), '\r'), 3);
  const std::string last = text.substr(text.rfind('\r') + 1);
  EXPECT_TRUE(std::regex_match(last, std::regex(R"(lambada \[#{30}\] 5153/5153 100% [0-9.e+]+ it/s in [0-9]+s *\n)")))
      << last;
  const std::string first = text.substr(1, text.find('\r', 1) - 1);
  EXPECT_EQ(first, "lambada [..............................] 0/5153 0% -- it/s ETA --");
}

TEST(Progress, LogLinesArePlainLinesAndQuietForShortJobs) {
  std::ostringstream quick;
  {
    Progress progress("p", 100, quick, std::chrono::milliseconds(60000));
    for (int i = 0; i < 100; ++i) progress.advance();
  }
  EXPECT_EQ(quick.str(), "");  // under the interval: nothing, not even the final line

  std::ostringstream out;
  {
    Progress progress("p", 4, out, std::chrono::milliseconds(50));
    progress.advance();  // under 50 ms since the start: not drawn
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    progress.advance();
    progress.advance(2);
    progress.finish();
  }
  const std::string text = out.str();
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  ASSERT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_TRUE(std::regex_match(text, std::regex(R"(p \[#{15}\.{15}\] 2/4 50% [0-9.]+ it/s ETA [0-9]+s\n)"
                                                R"(p \[#{30}\] 4/4 100% [0-9.]+ it/s in [0-9]+s\n)")))
      << text;
}

TEST(Progress, RedrawsAfterAnInterval) {
  std::ostringstream out;
  Progress progress("p", 4, out);
  progress.advance();
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  progress.advance();  // 120 ms since the last draw: drawn
  const std::string text = out.str();
  ASSERT_EQ(std::count(text.begin(), text.end(), '\r'), 2) << text;
  EXPECT_TRUE(std::regex_match(text.substr(text.rfind('\r') + 1),
                               std::regex(R"(p \[#{15}\.{15}\] 2/4 50% [0-9.]+ it/s ETA [0-9]+s)")))
      << text;
}

TEST(Progress, DestructorEndsTheLine) {
  std::ostringstream out;
  { Progress progress("p", 3, out); }
  EXPECT_EQ(out.str().back(), '\n');
}

TEST(Progress, StderrIsTerminalAnswersForTheRealStderr) {
  // Under ctest stderr is a pipe or a file; either way the helper must agree with isatty.
  EXPECT_EQ(stderr_is_terminal(), ::isatty(2) == 1);
}

}  // namespace
}  // namespace llmrun::eval
