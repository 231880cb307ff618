#pragma once
// config.json / generation_config.json -> ModelConfig / GenerationDefaults.
#include <string>
#include <vector>

#include "runtime/model_config.h"

namespace llmrun {

// Throws llmrun::Error naming the file and key for missing/malformed values, and
// listing the supported architectures for an unknown one.
ModelConfig load_model_config(const std::string& config_json_path);
ModelConfig parse_model_config(const std::string& json_text, const std::string& source_name);

// Absent file -> empty defaults; malformed file -> error naming it.
GenerationDefaults load_generation_defaults(const std::string& generation_config_json_path);

std::vector<std::string> supported_architectures();

}  // namespace llmrun
