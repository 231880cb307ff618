#include "runtime/cli/line_reader.h"

#include <sys/select.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <iostream>

#include <readline/history.h>
#include <readline/readline.h>

namespace llmrun::cli {
namespace {

std::atomic<bool> interrupted{false};  // lock-free, so the signal handler may set it

void on_sigint(int) { interrupted.store(true); }

// readline's callback interface hands a finished line to a C function.
struct PendingLine {
  bool done = false;
  bool eof = false;
  std::string text;
};
PendingLine* pending = nullptr;

void on_line(char* line) {
  if (!pending) return;
  pending->done = true;
  if (!line) {
    pending->eof = true;
  } else {
    pending->text = line;
    std::free(line);
  }
  rl_callback_handler_remove();
}

}  // namespace

bool take_interrupt() { return interrupted.exchange(false); }
const void* interrupt_flag() { return &interrupted; }

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: select() returns EINTR so the prompt can react
  sigaction(SIGINT, &sa, nullptr);
}

LineReader::LineReader(bool terminal) : terminal_(terminal) {
  if (terminal_) {
    rl_catch_signals = 0;  // our handler decides what Ctrl-C means
    using_history();
  }
}

LineReader::~LineReader() {
  if (terminal_) rl_callback_handler_remove();
}

ReadStatus LineReader::read(const std::string& prompt, std::string& line) {
  if (!terminal_) {
    if (!std::getline(std::cin, line)) return ReadStatus::eof;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return ReadStatus::line;
  }
  PendingLine result;
  pending = &result;
  rl_callback_handler_install(prompt.c_str(), on_line);
  while (!result.done) {
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(STDIN_FILENO, &fds);
    const int r = select(STDIN_FILENO + 1, &fds, nullptr, nullptr, nullptr);
    if (r < 0 && errno == EINTR) {
      if (take_interrupt()) {
        // Drop the half-typed line and leave the prompt.
        rl_free_line_state();
        rl_callback_sigcleanup();
        rl_callback_handler_remove();
        std::fputs("\n", stdout);
        pending = nullptr;
        return ReadStatus::interrupted;
      }
      continue;
    }
    if (r > 0) rl_callback_read_char();
  }
  pending = nullptr;
  if (result.eof) return ReadStatus::eof;
  line = result.text;
  if (!line.empty()) add_history(line.c_str());
  return ReadStatus::line;
}

}  // namespace llmrun::cli
