// Interactive chat: a terminal gets line editing, history, slash commands and Ctrl-C
// that stops a reply; piped input is read as one user turn per line.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>

#include "runtime/chat/conversation.h"
#include "runtime/cli/cli_common.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/line_reader.h"
#include "runtime/cli/model_setup.h"
#include "runtime/cli/think_filter.h"
#include "runtime/error.h"
#include "runtime/session.h"

namespace llmrun::cli {
namespace {

constexpr const char* kHelp =
    "  /reset          forget the conversation (keeps the system prompt)\n"
    "  /system TEXT    set the system prompt (empty: none) and start over\n"
    "  /think on|off   let a reasoning model think before answering (Qwen3)\n"
    "  /stats          speeds of the last reply and context use\n"
    "  /help           this list\n"
    "  /exit           quit (also Ctrl-D; Ctrl-C stops a reply)\n"
    "  End a line with \\ to continue it on the next line; \"\"\" starts and ends a block.\n";

class ChatLoop {
 public:
  ChatLoop(const RunOptions& o, LoadedRun& run)
      : options_(o), run_(run), session_(*run.model.model, *run.tokenizer, run.context, run.sampling),
        reader_(::isatty(STDIN_FILENO)), thinking_(o.think != "off") {
    conversation_.set_system(o.system);
  }

  int run() {
    install_interrupt_handler();
    if (reader_.terminal()) {
      std::cerr << "llmrun: chat (" << chat::chat_format_name(run_.chat_format) << " format, context "
                << run_.context << " tokens). /help lists commands; Ctrl-C stops a reply, Ctrl-D quits.\n";
    }
    int interrupts = 0;
    for (;;) {
      std::string input;
      const ReadStatus status = read_turn(input);
      if (status == ReadStatus::eof) break;
      if (status == ReadStatus::interrupted) {
        if (++interrupts >= 2) break;
        std::cerr << "(Ctrl-C again or Ctrl-D to quit)\n";
        continue;
      }
      interrupts = 0;
      if (input.empty()) continue;
      if (input[0] == '/') {
        if (!command(input)) break;
        continue;
      }
      reply(input);
    }
    if (reader_.terminal()) std::cerr << "\n";
    return 0;
  }

 private:
  // One user turn, possibly over several lines.
  ReadStatus read_turn(std::string& turn) {
    std::string line;
    ReadStatus s = reader_.read("> ", line);
    if (s != ReadStatus::line) return s;
    if (line == "\"\"\"") {  // a block until the closing """
      for (;;) {
        s = reader_.read("... ", line);
        if (s != ReadStatus::line) return s;
        if (line == "\"\"\"") return ReadStatus::line;
        turn += (turn.empty() ? "" : "\n") + line;
      }
    }
    while (!line.empty() && line.back() == '\\') {
      line.pop_back();
      turn += line + "\n";
      s = reader_.read("... ", line);
      if (s != ReadStatus::line) return s;
    }
    turn += line;
    return ReadStatus::line;
  }

  // Returns false to quit.
  bool command(const std::string& input) {
    const size_t space = input.find(' ');
    const std::string name = input.substr(0, space);
    const std::string arg = space == std::string::npos ? "" : input.substr(space + 1);
    if (name == "/exit" || name == "/quit") return false;
    if (name == "/help") {
      std::cout << kHelp << std::flush;
    } else if (name == "/reset") {
      conversation_.clear();
      session_.reset();
      std::cout << "(conversation cleared)\n" << std::flush;
    } else if (name == "/system") {
      conversation_.set_system(arg);
      conversation_.clear();
      session_.reset();
      std::cout << (arg.empty() ? "(system prompt removed; conversation cleared)\n"
                                : "(system prompt set; conversation cleared)\n") << std::flush;
    } else if (name == "/think") {
      if (arg != "on" && arg != "off") {
        std::cout << "(usage: /think on|off)\n" << std::flush;
      } else {
        thinking_ = arg == "on";
        std::cout << "(thinking " << arg << (run_.chat_format.thinking ? "" : "; this model's format has no thinking switch")
                  << ")\n" << std::flush;
      }
    } else if (name == "/stats") {
      const GenerationStats& s = last_.stats;
      std::printf("(last reply: %lld prompt tokens at %.1f tok/s, %lld generated at %.1f tok/s (forward alone %.1f), "
                  "first token after %.1f ms; context %lld of %lld tokens)\n",
                  static_cast<long long>(s.prompt_tokens), s.prefill_tokens_per_second(),
                  static_cast<long long>(s.generated_tokens), s.decode_tokens_per_second(),
                  s.decode_forward_tokens_per_second(), s.prefill_seconds * 1e3,
                  static_cast<long long>(session_.used()), static_cast<long long>(session_.capacity()));
      std::fflush(stdout);
    } else {
      std::cout << "(unknown command " << name << "; /help lists them)\n" << std::flush;
    }
    return true;
  }

  void reply(const std::string& input) {
    chat::Conversation next = conversation_;
    next.add_user(input);
    const bool plain = run_.chat_format.id == chat::ChatFormatId::none;
    const std::string prompt = next.render(run_.chat_format, true, thinking_);
    const std::vector<int32_t> ids = run_.tokenizer->encode(prompt, /*add_special_tokens=*/plain);
    if (options_.show_prompt_ids) print_prompt_ids(ids);
    if (int64_t(ids.size()) + 1 >= session_.capacity()) {
      std::cout << "(the context of " << session_.capacity() << " tokens is full: /reset to start over, or raise --ctx)\n"
                << std::flush;
      return;
    }
    conversation_ = next;
    TurnRequest request;
    request.max_new_tokens = options_.max_tokens >= 0 ? options_.max_tokens : 1024;
    request.stop_ids = run_.stop_ids;
    request.continues_text = plain;
    ThinkFilter filter(options_.think == "hide");
    take_interrupt();
    last_ = session_.generate_prompt(ids, request, [&](const std::string& chunk) {
      std::cout << filter.push(chunk) << std::flush;
    }, static_cast<const std::atomic<bool>*>(interrupt_flag()));
    std::cout << filter.flush() << "\n" << std::flush;
    take_interrupt();
    conversation_.add_assistant(last_.text);
    if (last_.reason == StopReason::interrupted) std::cerr << "(stopped)\n";
    if (last_.reason == StopReason::context_full)
      std::cerr << "(the context of " << session_.capacity() << " tokens is full: /reset to start over)\n";
  }

  const RunOptions& options_;
  LoadedRun& run_;
  Session session_;
  LineReader reader_;
  chat::Conversation conversation_;
  bool thinking_;
  TurnResult last_;
};

}  // namespace

int run_chat(const RunOptions& o) {
  LoadedRun run = load_run(o, /*need_tokenizer=*/true);
  if (o.no_chat) run.chat_format = chat::ChatFormat{};
  return ChatLoop(o, run).run();
}

}  // namespace llmrun::cli
