#pragma once
#include <string>

#include "eval/cli/eval_common.h"
#include "eval/sensitivity.h"

namespace llmrun::eval {

struct LambadaOptions {
  std::string data;  // default $LLMRUN_DATA/lambada_test.jsonl
  int64_t limit = 0;
  int64_t batch = 8;  // passages per forward pass
  // auto: what lm-eval's HF backend does by default — the tokenizer's own special
  // tokens (BOS for Llama/SentencePiece tokenizers, none for Qwen's); yes / no force it.
  std::string bos = "auto";
};
int run_lambada(const CommonOptions& common, const LambadaOptions& options);

struct TextOptions {
  std::string file;
  int64_t random_tokens = 0;  // instead of --file: uniformly random ids (models without a tokenizer)
  uint64_t seed = 1;
  int64_t max_tokens = 0;  // 0: all
  int64_t ctx = 512;
  int64_t stride = 256;
  int64_t score_from = 0;        // kld: first scored position of each window
  std::string reference_points;  // kld: CSV of another runtime's points for pareto.svg
  std::string reference_label = "reference";
};
int run_perplexity(const CommonOptions& common, const TextOptions& options);
int run_kld(const CommonOptions& common, const TextOptions& options);

struct BenchOptions {
  int64_t prompt_len = 128, gen_len = 128;
  int reps = 3;
};
int run_bench(const CommonOptions& common, const BenchOptions& options);

int run_hw();

}  // namespace llmrun::eval

namespace llmrun::eval {

struct SensitivityOptions {
  std::string calib;             // default $LLMRUN_DATA/wiki.test.raw
  int64_t calib_tokens = 2048;   // measured on the first N tokens
  int64_t holdout_tokens = 2048; // the plan is then checked on the next N tokens (0: skip)
  int64_t ctx = 512;
  std::string candidates = kDefaultPlanCandidates;
  double max_kl = 0;             // one budget: --max-kl, --max-bytes or --bits
  int64_t max_bytes = 0;
  double bits = 0;
  std::string plan = "plan.json";
  std::string measured;          // an earlier run's results.json: re-plan without measuring
};
int run_sensitivity(const CommonOptions& common, const SensitivityOptions& options);

struct ImatrixOptions {
  std::string calib;           // default $LLMRUN_DATA/wiki.test.raw
  int64_t skip_tokens = 0;     // calibration starts after this many tokens of the text
  int64_t calib_tokens = 4096;
  int64_t ctx = 512;           // window length; with self_sampled, the longest sample
  bool self_sampled = false;   // no text: the model samples its own (measure_importance_self)
  uint64_t seed = 0;           // of the self-sampling
  std::string out;             // the importance matrix file (.safetensors)
};
int run_imatrix(const CommonOptions& common, const ImatrixOptions& options);

}  // namespace llmrun::eval
