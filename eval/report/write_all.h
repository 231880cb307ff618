#pragma once
// llmeval --out DIR: every report file at once.
#include <string>
#include <vector>

#include "eval/results.h"

namespace llmrun::eval {

// Creates dir (and parents) and writes results.json, results.csv, chart.svg, and for
// sensitivity grids sensitivity.svg (one grid) or sensitivity-<format>.svg (several).
// Returns the paths written. Errors are one-line llmrun::Error naming the path.
std::vector<std::string> write_all(const std::string& dir, const EvalReport& report);

}  // namespace llmrun::eval
