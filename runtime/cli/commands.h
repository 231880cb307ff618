#pragma once
// The llmrun subcommands, each in its own file.
#include <string>

#include "runtime/cli/llmrun_options.h"

namespace llmrun::cli {

// -p/-f/--prompt-ids: one completion (or one chat turn), streamed to stdout.
int run_complete(const RunOptions& options);
// No prompt: interactive chat on a terminal, one turn per line otherwise.
int run_chat(const RunOptions& options);

struct QuantizeOptions {
  std::string model, out, precision;
  std::vector<std::string> tensor_precision;
  std::string imatrix = "auto";
};
int run_quantize(const QuantizeOptions& options);

struct TokenizeOptions {
  std::string model, text, file, ids;
  bool no_special = false;  // tokenize: do not add BOS etc.; detokenize: drop special tokens
};
int run_tokenize(const TokenizeOptions& options);
int run_detokenize(const TokenizeOptions& options);

}  // namespace llmrun::cli
