#pragma once
// Raw logits of a prompt for tests and external checks.
#include <string>
#include <vector>

#include "runtime/models/decoder.h"

namespace llmrun {

// Logits at every position of ids, [ids.size(), vocab] fp32 row-major.
std::vector<float> prompt_logits(DecoderModel& model, const std::vector<int32_t>& ids);

// Writes values as little-endian float32, no header; errors name the path.
void write_f32_file(const std::string& path, const std::vector<float>& values);

}  // namespace llmrun
