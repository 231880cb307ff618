#pragma once
// Reads the user's input for the chat: readline with editing and history on a terminal,
// plain lines otherwise. Ctrl-C at the prompt is reported, not fatal.
#include <string>

namespace llmrun::cli {

enum class ReadStatus { line, eof, interrupted };

class LineReader {
 public:
  explicit LineReader(bool terminal);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  ReadStatus read(const std::string& prompt, std::string& line);
  bool terminal() const { return terminal_; }

 private:
  bool terminal_;
};

// SIGINT while generating: set by the handler, cleared by the chat loop. Signal
// handlers can only reach process-wide state, hence this one flag.
bool take_interrupt();
const void* interrupt_flag();  // an std::atomic<bool>* for Session::generate
void install_interrupt_handler();

}  // namespace llmrun::cli
