#pragma once
// A one-line progress bar with rate and ETA, redrawn in place on a terminal:
//   lambada [############..................] 1234/5153 23% 12.3 it/s ETA 5m19s
// or, into a log or pipe, the same line as a plain line of its own once a minute (jobs
// of under a minute print nothing there).
// Single-threaded: call advance() from the loop that does the work.
#include <chrono>
#include <functional>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace llmrun::eval {

// Whether stderr is a terminal: callers pass this as `enabled`, so logs and pipes get
// no carriage-return noise.
bool stderr_is_terminal();

class Progress {
 public:
  // Draws on stderr when enabled; prints nothing at all otherwise. total <= 0 means
  // unknown: the line then shows the count and rate only.
  Progress(std::string label, int64_t total, bool enabled);
  // Always draws, on out (tests, or a caller's own stream).
  Progress(std::string label, int64_t total, std::ostream& out);
  // Log lines on out: one complete line per `every`, and a final one if any was printed.
  Progress(std::string label, int64_t total, std::ostream& out, std::chrono::milliseconds every);
  ~Progress();  // finishes the line if finish() was not called
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // n more items done; redraws at most every 100 ms.
  void advance(int64_t n = 1);
  // Draws the final line (elapsed time instead of ETA) and ends it with a newline.
  // Later calls do nothing.
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  void draw(bool final);

  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  std::ostream* out_;  // null when quiet
  Clock::time_point start_;
  Clock::time_point last_draw_;
  size_t last_length_ = 0;  // to blank what a shorter line leaves behind
  bool finished_ = false;
  std::chrono::milliseconds log_every_{0};  // > 0: log lines instead of a bar
  bool logged_ = false;
};

// The text of one bar line, without "\r" or newline: label, bar, count, percent,
// rate and ETA (or, when final, the elapsed time). Exposed for tests and other sinks.
std::string progress_line(const std::string& label, int64_t done, int64_t total, double elapsed_seconds,
                          bool final);

// "42s", "1m02s", "2h05m".
std::string format_duration(double seconds);

// A (done, total) callback drawing a Progress bar on stderr when it is a terminal, else
// a log line a minute; created on the first call and finished when done reaches total.
std::function<void(int64_t done, int64_t total)> progress_callback(const std::string& label);

}  // namespace llmrun::eval
