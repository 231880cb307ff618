#include "eval/progress.h"

#include <memory>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "eval/report/format.h"

namespace llmrun::eval {
namespace {

constexpr int kBarWidth = 30;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
constexpr auto kLogInterval = std::chrono::milliseconds(60000);

}  // namespace

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string format_duration(double seconds) {
  const auto s = static_cast<int64_t>(std::ceil(std::max(0.0, seconds)));
  char buf[48];
  if (s < 60) std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  else std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s % 3600 / 60));
  return buf;
}

std::string progress_line(const std::string& label, int64_t done, int64_t total, double elapsed_seconds,
                          bool final) {
  std::string line = label;
  if (total > 0) {
    const double fraction = std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0);
    const int filled = static_cast<int>(std::floor(fraction * kBarWidth));
    line += " [" + std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(kBarWidth - filled), '.') + "] ";
    line += std::to_string(done) + "/" + std::to_string(total) + " ";
    line += std::to_string(static_cast<int>(std::floor(100 * fraction))) + "%";
  } else {
    line += " " + std::to_string(done);
  }
  const bool have_rate = done > 0 && elapsed_seconds > 0;
  const double rate = have_rate ? static_cast<double>(done) / elapsed_seconds : 0;
  line += " " + (have_rate ? format_significant(rate, 3) : std::string("--")) + " it/s";
  if (final) {
    line += " in " + format_duration(elapsed_seconds);
  } else if (total > 0) {
    line += " ETA " + (have_rate ? format_duration(static_cast<double>(std::max<int64_t>(0, total - done)) / rate)
                                 : std::string("--"));
  }
  return line;
}

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), out_(enabled ? &std::cerr : nullptr), start_(Clock::now()) {
  if (out_) draw(false);
}

Progress::Progress(std::string label, int64_t total, std::ostream& out)
    : label_(std::move(label)), total_(total), out_(&out), start_(Clock::now()) {
  draw(false);
}

Progress::Progress(std::string label, int64_t total, std::ostream& out, std::chrono::milliseconds every)
    : label_(std::move(label)), total_(total), out_(&out), start_(Clock::now()), last_draw_(start_),
      log_every_(every) {}

Progress::~Progress() {
  try {
    finish();
  } catch (...) {
    // A failing stream must not turn unwinding into termination.
  }
}

void Progress::advance(int64_t n) {
  done_ += n;
  if (!out_ || finished_) return;
  if (Clock::now() - last_draw_ >= (log_every_.count() > 0 ? log_every_ : kRedrawInterval)) draw(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (!out_ || (log_every_.count() > 0 && !logged_)) return;
  draw(true);
  if (log_every_.count() == 0) *out_ << '\n' << std::flush;
}

void Progress::draw(bool final) {
  last_draw_ = Clock::now();
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  std::string line = progress_line(label_, done_, total_, elapsed, final);
  if (log_every_.count() > 0) {
    logged_ = true;
    *out_ << line << '\n' << std::flush;
    return;
  }
  const size_t length = line.size();
  if (length < last_length_) line.append(last_length_ - length, ' ');
  last_length_ = length;
  *out_ << '\r' << line << std::flush;
}

std::function<void(int64_t, int64_t)> progress_callback(const std::string& label) {
  struct State {
    std::unique_ptr<Progress> bar;
    int64_t done = 0;
  };
  auto state = std::make_shared<State>();
  return [state, label](int64_t done, int64_t total) {
    if (!state->bar)
      state->bar = stderr_is_terminal() ? std::make_unique<Progress>(label, total, std::cerr)
                                        : std::make_unique<Progress>(label, total, std::cerr, kLogInterval);
    state->bar->advance(done - state->done);
    state->done = done;
    if (done >= total) state->bar->finish();
  };
}

}  // namespace llmrun::eval
