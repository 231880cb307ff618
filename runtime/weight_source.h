#pragma once
// Tensors by Hugging Face name from either kind of checkpoint: a safetensors folder, or a
// GGUF file (loaders/gguf_model: its names mapped, values dequantized to fp32, llama's
// q/k rows un-permuted). The loader and the sensitivity measurement read through it, so
// both take the same --model values.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loaders/gguf.h"
#include "loaders/safetensors.h"

namespace llmrun {

// A tensor as the loader sees it, from either source: its file, name there, HF shape.
struct SourceTensor {
  std::string file;
  std::string name;
  std::vector<int64_t> shape;
  int64_t nbytes = 0;
  std::string shape_str() const;
};

class WeightSource {
 public:
  // A GGUF file or a checkpoint folder; throws llmrun::Error naming the path.
  explicit WeightSource(const std::string& path);
  const Checkpoint* checkpoint() const { return checkpoint_ ? &*checkpoint_ : nullptr; }
  std::optional<SourceTensor> find(const std::string& hf_name) const;
  std::vector<float> read_f32(const std::string& hf_name) const;
  // Lets the OS drop the pages of a mapped tensor already converted (safetensors only).
  void release(const std::string& hf_name) const;
  std::vector<std::string> names() const;  // HF names where known

 private:
  std::optional<Checkpoint> checkpoint_;
  std::unique_ptr<GgufFile> gguf_;
};

}  // namespace llmrun
