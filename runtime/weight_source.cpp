#include "runtime/weight_source.h"

#include "loaders/gguf_model.h"

namespace llmrun {

std::string SourceTensor::shape_str() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

WeightSource::WeightSource(const std::string& path) {
  if (is_gguf_file(path)) gguf_ = GgufFile::open(path);
  else checkpoint_ = Checkpoint::open_dir(path);
}

std::optional<SourceTensor> WeightSource::find(const std::string& hf_name) const {
  if (checkpoint_) {
    const TensorView* t = checkpoint_->find(hf_name);
    if (!t) return std::nullopt;
    return SourceTensor{t->file, t->name, t->shape, int64_t(t->nbytes)};
  }
  const std::string name = gguf_name_for(hf_name);
  const GgufTensor* t = name.empty() ? nullptr : gguf_->find_tensor(name);
  if (!t) return std::nullopt;
  // ggml order [cols, rows] -> HF [rows, cols]
  return SourceTensor{t->file, name, std::vector<int64_t>(t->ne.rbegin(), t->ne.rend()), int64_t(t->nbytes)};
}

std::vector<float> WeightSource::read_f32(const std::string& hf_name) const {
  if (checkpoint_) return to_f32(checkpoint_->get(hf_name));
  return gguf_hf_tensor_f32(*gguf_, hf_name);
}

void WeightSource::release(const std::string& hf_name) const {
  if (checkpoint_) release_pages(checkpoint_->get(hf_name));
}

std::vector<std::string> WeightSource::names() const {
  if (checkpoint_) return checkpoint_->names();
  std::vector<std::string> out;
  for (const GgufTensor& t : gguf_->tensors()) out.push_back(hf_name_for(t.name));
  return out;
}

}  // namespace llmrun
