#pragma once
// Broken numbers are reported, never decoded: a forward whose logits hold a NaN or an
// infinity (weights near the fp32 limit, a bad pre-quantized scale, an fp16 overflow) stops
// generation and evaluation with an error that says where the first bad value was made.
#include <string>
#include <vector>

#include "runtime/models/decoder.h"

namespace llmrun {

// Re-runs `ids` through `model` on a fresh cache and names the first stage whose output
// holds a NaN or an infinity ("embed", "layer.3", "final_norm", "logits"); "" when every
// stage is finite.
std::string first_non_finite_stage(DecoderModel& model, const std::vector<int32_t>& ids);

// Throws llmrun::Error: "<what>: the logits are not finite (first in <stage> when the N
// tokens are run again)".
[[noreturn]] void fail_non_finite(DecoderModel& model, const std::vector<int32_t>& ids, const std::string& what);

// Calls fail_non_finite(model, ids, what) unless every logit is finite (evaluation checks
// each forward's logits with this before scoring them).
void check_logits_finite(DecoderModel& model, const std::vector<int32_t>& ids, const std::vector<float>& logits,
                         const std::string& what);

}  // namespace llmrun
