#pragma once
// Measures an importance matrix (runtime/importance_matrix.h): the model runs over
// calibration text at its checkpoint's precision, and every linear op's input is summed
// per column on the way (ImportanceRecorder wraps the backend, so it works on any device).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/importance_matrix.h"
#include "runtime/model_loader.h"

namespace llmrun::eval {

// Loads `model_dir` at "auto" precision (its own dtype) on `backend`, runs `calibration`
// in windows of `context` tokens (fresh cache each, logits of every row, so a tied LM head
// sees every token), and returns mean x_j^2 per linear weight over all of them.
// progress(windows done, windows) after each window when given.
ImportanceMatrix measure_importance(const std::string& model_dir, Backend& backend,
                                    const std::vector<int32_t>& calibration, int64_t context,
                                    const std::function<void(int64_t, int64_t)>& progress = nullptr);

}  // namespace llmrun::eval
