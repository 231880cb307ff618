#pragma once
// The Markdown table llmeval prints on stdout.
#include <string>

#include "eval/results.h"

namespace llmrun::eval {

// A header line (task, model, baseline) and one table row per precision. Only columns
// with a value in some row are shown; a missing value is "—". Accuracy, Δacc and top-1
// are percentages; Δacc is in percentage points; sizes are MB (10^6 bytes).
std::string markdown_table(const EvalReport& report);

}  // namespace llmrun::eval
