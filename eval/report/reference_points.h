#pragma once
// Another runtime's (bits per weight, mean KL) points for the Pareto chart, from a CSV.
#include <string>
#include <vector>

#include "eval/results.h"

namespace llmrun::eval {

// Lines "label,bits_per_weight,mean_kl"; blank lines and lines starting with '#' are
// skipped, and so is a first line "label,bits_per_weight,mean_kl" (a header). Numbers must
// be finite, bits in (0, 64], KL >= 0. Errors name the file and line.
std::vector<ReferencePoint> read_reference_points(const std::string& path);

}  // namespace llmrun::eval
