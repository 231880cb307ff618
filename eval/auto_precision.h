#pragma once
// --precision auto:max-kl=X | auto:bits=B | auto:max-bytes=N: measure sensitivity on
// calibration text, write a plan, and load it as @plan.json. Plans are cached per model
// and spec, so the measurement runs once.
#include <optional>
#include <string>
#include <vector>

#include "eval/sensitivity.h"
#include "runtime/backend.h"
#include "runtime/importance_matrix.h"

namespace llmrun::eval {

// The budget of an auto: spec; nullopt when the spec is not auto:. Throws llmrun::Error
// naming --precision for a malformed one.
std::optional<PlanBudget> parse_auto_spec(const std::string& spec);

// Checks a --precision value of any form (auto:..., or what PrecisionPolicy parses,
// with the --tensor-precision overrides) without loading anything; throws llmrun::Error.
void check_precision_spec(const std::string& spec, const std::vector<std::string>& tensor_overrides = {});

// Returns spec unchanged unless it is auto:..., then "@<cached plan path>" after running
// (or reusing) the sensitivity measurement. Calibration text: $LLMRUN_DATA/wiki.test.raw
// unless calib_path is given. With an importance matrix the candidates are encoded as
// --imatrix loads them, and the plan is cached apart from the one made without.
std::string resolve_precision(const std::string& spec, const std::string& model_dir, Backend& backend,
                              const ImportanceMatrix* importance = nullptr, const std::string& calib_path = "");

}  // namespace llmrun::eval
