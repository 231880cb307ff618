#pragma once
// Everything `llmrun` (generation and chat) is told on its command line.
#include <string>
#include <vector>

#include "runtime/sampler.h"

namespace llmrun::cli {

struct RunOptions {
  std::string model;
  std::string precision = "auto";
  std::vector<std::string> tensor_precision;
  std::string imatrix = "auto";  // --imatrix: eval::resolve_imatrix (runtime/importance_matrix.h)
  std::string device = "auto";
  std::string activations = "auto";
  std::string cpu_isa = "auto";
  int threads = 0;
  std::string prompt;      // -p
  std::string prompt_file; // -f
  std::string prompt_ids;  // --prompt-ids: ids in, ids out
  int64_t max_tokens = -1; // -n; -1: until EOS or the context is full (chat: 1024 a reply)
  int64_t ctx = 4096;      // capped at the model's max_position_embeddings
  SamplerOptions sampling;
  bool temp_set = false, top_k_set = false, top_p_set = false, min_p_set = false, repeat_set = false;
  std::string system;
  std::string chat_format;  // empty: from the checkpoint's chat_template
  std::string think = "show";  // show | hide | off
  bool no_chat = false;
  bool stats = false;
  bool verbose = false;
  bool show_prompt_ids = false;  // each prompt's ids on stderr (what the model is fed)
};

}  // namespace llmrun::cli
