#pragma once
// Checkpoint folder -> DecoderModel on a backend: config, tensors by the weight table,
// shape checks, conversion to the chosen weight formats, upload.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/backend.h"
#include "runtime/importance_matrix.h"
#include "runtime/model_config.h"
#include "runtime/models/decoder.h"
#include "runtime/models/weight_table.h"

namespace llmrun {

struct LoadOptions {
  // --precision spec (runtime/precision_policy.h): "auto" keeps the checkpoint's dtype.
  std::string precision = "auto";
  std::vector<std::string> tensor_precision;  // --tensor-precision REGEX=FORMAT, in order
  // --imatrix: weights the scale search of group-scaled formats (runtime/importance_matrix.h);
  // null: every input counts the same. Its tensors must be weights of the model, of their width.
  const ImportanceMatrix* importance = nullptr;
  // Warnings, one line each (default: stderr).
  std::function<void(const std::string&)> log;
  // Called after each tensor with the source bytes read so far and in all (optional).
  std::function<void(int64_t done, int64_t total)> progress;
};

// What was loaded, per format (indexed by WeightFormat), for the load summary.
struct FormatUsage {
  int64_t tensors = 0;
  int64_t weights = 0;  // parameters
  int64_t bytes = 0;    // packed codes + scales
};

struct LoadSummary {
  std::vector<FormatUsage> by_format;  // [number of formats]
  int64_t importance_weighted = 0;     // tensors whose encoding the importance matrix weighted
  int64_t total_bytes() const;
  int64_t total_weights() const;
  double bits_per_weight() const;
  // "weights: 0.26 M params, 1.0 MB, 32.0 bits/weight | fp32 13 tensors 1.0 MB ..."
  std::string describe() const;
};

struct LoadedModel {
  ModelConfig config;
  GenerationDefaults generation;
  std::unique_ptr<DecoderModel> model;
  LoadSummary summary;  // matrices (embedding, linear layers, head); not norms/biases
};

// Encodes src [rows, cols] fp32 into `format` row by row (rows in parallel when large).
// src must be finite. importance ([cols], finite, >= 0) weights the scale search of formats
// that have one (CodecRecord::encode_row_weighted); other formats ignore it.
HostWeight encode_weight(const std::string& name, const std::vector<float>& src, int64_t rows, int64_t cols,
                         WeightFormat format, const std::vector<float>* importance = nullptr);

// Every tensor of an importance matrix must be a matrix weight of this model (table:
// weight_table's) with one value per input: one made for another model is an error naming
// the file and tensor, never a silent no-op.
void check_importance(const ImportanceMatrix& m, const std::vector<WeightSlot>& table, const ModelConfig& config);

// The format a checkpoint's torch_dtype maps to ("bfloat16" -> bf16; unknown -> fp32).
WeightFormat baseline_format(const ModelConfig& config);

// config.json of a checkpoint folder, or the one a GGUF file's metadata describes (parsed
// by the same rules).
ModelConfig config_of_model(const std::string& path);

LoadedModel load_model(const std::string& dir, Backend& backend, const LoadOptions& options = {});

// Quantizes a checkpoint with options.precision and writes it to out_dir as an llmrun
// quantized checkpoint (model.safetensors + config, generation and tokenizer files),
// which load_model reads without re-quantizing. Returns what was written.
LoadSummary quantize_checkpoint(const std::string& dir, const std::string& out_dir, const LoadOptions& options);

}  // namespace llmrun
