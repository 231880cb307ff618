#pragma once
// Reports with hand-picked values shared by the report tests.
#include "eval/results.h"

namespace llmrun::eval::testing {

// LAMBADA over three precisions: accuracy, perplexity, eval speed, sizes; peak RSS on
// the baseline only.
inline EvalReport lambada_report() {
  EvalReport report;
  report.task = "lambada";
  report.model = "models/qwen3-0.6b";
  report.baseline = "fp16";
  report.info = {{"hardware", "test machine"}, {"git_commit", "abc1234"}};

  PrecisionRow fp16;
  fp16.precision = "fp16";
  fp16.weight_bytes = 1192000000;
  fp16.bits_per_weight = 16;
  fp16.accuracy = 0.4124;
  fp16.accuracy_stderr = 0.0069;
  fp16.perplexity = 18.4321;
  fp16.eval_tokens_per_second = 1534.2;
  fp16.peak_rss_bytes = 2.5e9;
  fp16.wall_seconds = 12.5;

  PrecisionRow int8;
  int8.precision = "int8";
  int8.weight_bytes = 600000000;
  int8.bits_per_weight = 8.5;
  int8.accuracy = 0.41;
  int8.accuracy_stderr = 0.0068;
  int8.perplexity = 18.6;  // no delta_perplexity: the table computes 18.6 - 18.4321
  int8.eval_tokens_per_second = 2301.3;
  int8.wall_seconds = 8.25;

  PrecisionRow fp8;
  fp8.precision = "fp8";
  fp8.weight_bytes = 620000000;
  fp8.bits_per_weight = 8.25;
  fp8.accuracy = 0.3981;
  fp8.accuracy_stderr = 0.0068;
  fp8.perplexity = 19.2;
  fp8.delta_perplexity = 0.7;  // measured over the same tokens: used as given
  fp8.eval_tokens_per_second = 2750;
  fp8.wall_seconds = 7;

  report.rows = {fp16, int8, fp8};
  return report;
}

// llmeval bench: speed only, with decode min-max.
inline EvalReport bench_report() {
  EvalReport report;
  report.task = "bench";
  report.model = "m";
  report.baseline = "fp16";
  const char* names[] = {"fp16", "fp8", "mixed:attn=fp8,mlp=fp6"};
  const double decode[] = {40, 61.5, 70.3};
  for (int i = 0; i < 3; ++i) {
    PrecisionRow row;
    row.precision = names[i];
    row.prefill_tokens_per_second = 1000 * (i + 1);
    row.decode_tokens_per_second = decode[i];
    row.decode_min = decode[i] - 1;
    row.decode_max = decode[i] + 1.5;
    row.time_to_first_token_ms = 25.0 / (i + 1);
    report.rows.push_back(row);
  }
  return report;
}

// 4 layers x 7 projections, values spanning 1e-5 .. 1e-2.
inline SensitivityGrid sample_grid() {
  SensitivityGrid grid;
  grid.format = "fp6";
  grid.projections = {"q", "k", "v", "o", "gate", "up", "down"};
  grid.kl = {
      {1e-5, 2e-5, 3e-5, 4e-5, 5e-5, 6e-5, 7e-5},
      {1e-4, 2e-4, 3e-4, 4e-4, 5e-4, 6e-4, 7e-4},
      {1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 7e-3},
      {8e-3, 9e-3, 1e-2, 0, -1e-6, 2.5e-3, 5e-4},
  };
  return grid;
}

}  // namespace llmrun::eval::testing
