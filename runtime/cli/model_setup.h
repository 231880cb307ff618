#pragma once
// Loads what a run needs from RunOptions: backend, model, tokenizer, chat format, and
// sampling defaults from generation_config.json where flags did not set them.
#include <memory>

#include "loaders/tokenizer/tokenizer.h"
#include "runtime/chat/chat_format.h"
#include "runtime/cli/llmrun_options.h"
#include "runtime/model_loader.h"

namespace llmrun::cli {

struct LoadedRun {
  std::string model_dir;
  std::unique_ptr<Backend> backend;
  LoadedModel model;
  std::unique_ptr<Tokenizer> tokenizer;  // null with --prompt-ids
  chat::ChatFormat chat_format;
  SamplerOptions sampling;    // flags over generation_config.json
  int64_t context = 0;        // KV cache positions
  std::vector<int32_t> stop_ids;  // EOS ids + the chat format's stop tokens
  double load_seconds = 0;
};

// Checks flag values first (UsageError), then loads. Prints the load summary on stderr.
LoadedRun load_run(const RunOptions& options, bool need_tokenizer);

}  // namespace llmrun::cli
