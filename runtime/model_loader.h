#pragma once
// Checkpoint folder -> DecoderModel on a backend: config, tensors by the weight table,
// shape checks, conversion to the chosen weight formats, upload.
#include <functional>
#include <memory>
#include <string>

#include "runtime/backend.h"
#include "runtime/model_config.h"
#include "runtime/models/decoder.h"

namespace llmrun {

struct LoadOptions {
  // "auto": the checkpoint's own dtype (bf16/fp16/fp32) for every weight; otherwise a
  // weight format name applied to the linear layers (embedding and LM head keep the
  // checkpoint's dtype).
  std::string precision = "auto";
  // Warnings and progress, one line each (default: stderr).
  std::function<void(const std::string&)> log;
};

struct LoadedModel {
  ModelConfig config;
  GenerationDefaults generation;
  std::unique_ptr<DecoderModel> model;
  int64_t weight_bytes = 0;  // packed weights + scales, as uploaded
};

// The format a checkpoint's torch_dtype maps to ("bfloat16" -> bf16; unknown -> fp32).
WeightFormat baseline_format(const ModelConfig& config);

LoadedModel load_model(const std::string& dir, Backend& backend, const LoadOptions& options = {});

}  // namespace llmrun
