#pragma once
// What an llmeval run measured, one row per precision; reports (Markdown, JSON, CSV,
// SVG) are rendered from this alone.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmrun::eval {

struct PrecisionRow {
  std::string precision;  // "fp16", "int8", "mixed:...", "@plan.json"
  int64_t weight_bytes = 0;
  double bits_per_weight = 0;
  // Accuracy (LAMBADA): fraction and its standard error (sample std / sqrt(n), as lm-eval).
  std::optional<double> accuracy, accuracy_stderr;
  std::optional<double> perplexity;
  // Paired with the baseline passage by passage (LAMBADA): the accuracy difference's
  // standard error, and the passages right only here / only in the baseline.
  std::optional<double> delta_accuracy_stderr;
  std::optional<int64_t> passages_gained, passages_lost;
  // Against the baseline row over the same tokens.
  std::optional<double> mean_kl, p99_kl, top1_agreement, delta_perplexity;
  // Speed.
  std::optional<double> eval_tokens_per_second;   // tokens scored per second
  std::optional<double> prefill_tokens_per_second, decode_tokens_per_second;  // medians
  std::optional<double> decode_min, decode_max;   // tok/s over repetitions
  std::optional<double> generate_tokens_per_second;  // end to end: forward + sampling + detokenization
  std::optional<double> time_to_first_token_ms;
  std::optional<double> peak_rss_bytes;
  double wall_seconds = 0;
};

// A layers x projections grid of KL increases (llmeval sensitivity), and those of the
// tensors outside the grid (the embedding, an untied LM head) by name.
struct SensitivityGrid {
  std::string format;                     // the candidate format the grid is for
  std::vector<std::string> projections;   // columns: q, k, v, o, gate, up, down
  std::vector<std::vector<double>> kl;    // [layer][projection] mean KL increase
  std::map<std::string, double> tensors;  // HF name -> mean KL increase
};

// Another runtime's point on the size/accuracy chart (llama.cpp's Q8_0, ...), measured
// outside llmeval on the same text and read from a CSV (llmeval kld --reference-points).
struct ReferencePoint {
  std::string label;
  double bits_per_weight = 0;
  double mean_kl = 0;
};

struct EvalReport {
  std::string task;      // "lambada", "perplexity", "kld", "bench", "sensitivity"
  std::string model;     // folder
  std::string baseline;  // the baseline precision name ("fp16")
  std::vector<PrecisionRow> rows;  // baseline first
  std::vector<SensitivityGrid> sensitivity;
  std::vector<ReferencePoint> reference_points;
  std::string reference_label;  // whose points they are ("llama.cpp 7d56da7")
  std::map<std::string, std::string> info;  // hardware, versions, git commit, date, data, settings
};

}  // namespace llmrun::eval
