#pragma once
// Values every report shows that are computed against the baseline row rather than
// stored: accuracy difference, perplexity difference, speedup.
#include <optional>
#include <string>

#include "eval/results.h"

namespace llmrun::eval {

// The row named report.baseline, else the first row (rows are baseline first); null
// when there are no rows.
const PrecisionRow* baseline_row(const EvalReport& report);

// In the functions below `row` must be an element of report.rows: the baseline row is
// recognised by address, so two rows with the same name stay distinct.

// Accuracy minus the baseline's, as a fraction; absent for the baseline row itself or
// when either accuracy is missing.
std::optional<double> delta_accuracy(const EvalReport& report, const PrecisionRow& row);

// row.delta_perplexity when measured, else the difference of the two perplexities;
// absent for the baseline row.
std::optional<double> delta_perplexity(const EvalReport& report, const PrecisionRow& row);

// Which throughput the speedup compares, chosen once per report so every row uses the
// same one: decode tok/s when the baseline has it, else eval tok/s.
enum class SpeedMetric { kNone, kDecode, kEval };
SpeedMetric speed_metric(const EvalReport& report);
const char* speed_metric_label(SpeedMetric metric);  // "decode tok/s", "eval tok/s", ""

// Throughput ratio to the baseline (1.0 for the baseline row); absent without data.
std::optional<double> speedup(const EvalReport& report, const PrecisionRow& row);

}  // namespace llmrun::eval
