#include "eval/report/derived.h"

namespace llmrun::eval {
namespace {

bool is_baseline(const EvalReport& report, const PrecisionRow& row) {
  return &row == baseline_row(report);
}

const std::optional<double>& speed_of(const PrecisionRow& row, SpeedMetric metric) {
  return metric == SpeedMetric::kDecode ? row.decode_tokens_per_second : row.eval_tokens_per_second;
}

}  // namespace

const PrecisionRow* baseline_row(const EvalReport& report) {
  for (const PrecisionRow& row : report.rows)
    if (row.precision == report.baseline) return &row;
  return report.rows.empty() ? nullptr : &report.rows.front();
}

std::optional<double> delta_accuracy(const EvalReport& report, const PrecisionRow& row) {
  const PrecisionRow* base = baseline_row(report);
  if (!base || is_baseline(report, row) || !row.accuracy || !base->accuracy) return std::nullopt;
  return *row.accuracy - *base->accuracy;
}

std::optional<double> delta_perplexity(const EvalReport& report, const PrecisionRow& row) {
  const PrecisionRow* base = baseline_row(report);
  if (!base || is_baseline(report, row)) return std::nullopt;
  if (row.delta_perplexity) return row.delta_perplexity;
  if (!row.perplexity || !base->perplexity) return std::nullopt;
  return *row.perplexity - *base->perplexity;
}

SpeedMetric speed_metric(const EvalReport& report) {
  const PrecisionRow* base = baseline_row(report);
  if (!base) return SpeedMetric::kNone;
  if (base->decode_tokens_per_second && *base->decode_tokens_per_second > 0) return SpeedMetric::kDecode;
  if (base->eval_tokens_per_second && *base->eval_tokens_per_second > 0) return SpeedMetric::kEval;
  return SpeedMetric::kNone;
}

const char* speed_metric_label(SpeedMetric metric) {
  switch (metric) {
    case SpeedMetric::kDecode: return "decode tok/s";
    case SpeedMetric::kEval: return "eval tok/s";
    case SpeedMetric::kNone: return "";
  }
  return "";
}

std::optional<double> speedup(const EvalReport& report, const PrecisionRow& row) {
  const SpeedMetric metric = speed_metric(report);
  if (metric == SpeedMetric::kNone) return std::nullopt;
  if (is_baseline(report, row)) return 1.0;
  const std::optional<double>& speed = speed_of(row, metric);
  if (!speed) return std::nullopt;
  return *speed / *speed_of(*baseline_row(report), metric);
}

}  // namespace llmrun::eval
