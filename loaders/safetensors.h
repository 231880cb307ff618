#pragma once
// Read-only access to Hugging Face safetensors checkpoints (single file or sharded via
// model.safetensors.index.json), memory-mapped. Everything in the header is validated
// when a file is opened; errors name the file and tensor.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace llmrun {

// Element types a safetensors header may declare. Only f32/f16/bf16 convert to float;
// the others exist so files with them parse and errors can name them.
enum class DType : uint8_t { f64, f32, f16, bf16, i64, i32, i16, i8, u8, boolean, f8_e4m3, f8_e5m2 };

const char* dtype_name(DType dtype);  // as written in safetensors headers: "BF16"
size_t dtype_size(DType dtype);

struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const uint8_t* data;  // inside the mapping; valid while the owning file is open
  size_t nbytes;        // == numel() * dtype_size(dtype), checked at open
  std::string file;     // path of the file it lives in (for error messages)

  int64_t numel() const;
  std::string shape_str() const;  // "[2048,2560]"
};

// One mapped .safetensors file.
class SafetensorsFile {
 public:
  // Throws llmrun::Error naming the path (and tensor) when the file is missing,
  // truncated, or its header is malformed.
  static std::unique_ptr<SafetensorsFile> open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  // In file order (ascending data offset), so walking them reads the mapping sequentially.
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorView* find(const std::string& name) const;  // nullptr when absent

 private:
  SafetensorsFile() = default;
  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  std::vector<TensorView> tensors_;
  std::map<std::string, size_t> by_name_;  // tensor name -> index into tensors_
  std::map<std::string, std::string> metadata_;
};

// All tensors of a checkpoint folder: model.safetensors, or the shards listed in
// model.safetensors.index.json (each shard must hold exactly the tensors the index
// assigns it).
class Checkpoint {
 public:
  static Checkpoint open_dir(const std::string& dir);
  const TensorView* find(const std::string& name) const;  // nullptr when absent
  const TensorView& get(const std::string& name) const;   // throws naming dir + tensor
  std::vector<std::string> names() const;                 // sorted
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorView*> index_;
};

// Converts an f32/f16/bf16 tensor to float32 (any other dtype: error naming tensor and
// dtype). Non-finite values are kept; callers that must reject them check.
std::vector<float> to_f32(const TensorView& view);

// Tells the kernel the tensor's mapped pages are not needed now, so they leave the
// resident set (they are re-read from the file if touched again). Loading converts one
// tensor at a time; releasing each keeps peak memory near the converted model's size
// instead of converted model + whole checkpoint.
void release_pages(const TensorView& view);

// Writes a safetensors file (used by tests that build broken files, and by
// `llmrun quantize`). Tensors are laid out in the given order, 8-byte aligned header.
// Written to a temporary file in the same folder and renamed into place, so a crash
// never leaves a half-written file at `path`. Throws llmrun::Error naming the path
// (and tensor) on bad input (duplicate names, byte count != numel * dtype size) or I/O
// failure.
struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace llmrun
