#pragma once
// Read-only access to llama.cpp's GGUF files (versions 2 and 3, little-endian),
// memory-mapped. The whole header (metadata key/values, tensor infos) is validated when
// the file is opened: every count, length and offset is checked against the file size
// before anything is allocated or any pointer into the mapping is formed, so a malformed
// file is an llmrun::Error naming the file and the key or tensor, never a crash.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace llmrun {

// Metadata value types, numbered as in the GGUF specification.
enum class GgufValueType : uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
  string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};
const char* gguf_value_type_name(GgufValueType type);  // "UINT32"

// Tensor element types, numbered as ggml's enum ggml_type (append-only upstream; gaps
// are removed types). Every type ggml defines is known here so its sizes can be
// validated; which ones can be converted to float is up to loaders/gguf_dequant.h.
enum class GgmlType : uint32_t {
  f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
  q2_k = 10, q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, q8_k = 15,
  iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22,
  iq4_xs = 23, i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30,
  tq1_0 = 34, tq2_0 = 35, mxfp4 = 39, nvfp4 = 40, q1_0 = 41,
};

struct GgmlTypeInfo {
  GgmlType type;
  const char* name;    // "Q4_K", as ggml and gguf-py print it
  int64_t block_size;  // elements per block (1 for plain types)
  int64_t type_size;   // bytes per block
};
// nullptr for a number ggml does not define.
const GgmlTypeInfo* ggml_type_info(uint32_t type);
const GgmlTypeInfo& ggml_type_info(GgmlType type);

// One metadata value. Scalars fill one field by type (all integer types and bool go to
// `integer`, u64 values above INT64_MAX are rejected at open; f32/f64 to `real`);
// arrays fill `strings`, `integers` or `reals` by element type.
struct GgufValue {
  GgufValueType type;
  GgufValueType element_type = GgufValueType::u8;  // arrays only
  int64_t integer = 0;
  double real = 0;
  std::string string;
  std::vector<std::string> strings;
  std::vector<int64_t> integers;
  std::vector<double> reals;

  bool is_integer() const;  // any integer scalar type (not bool)
  bool is_real() const { return type == GgufValueType::f32 || type == GgufValueType::f64; }
  // Array length, whatever the element type.
  size_t array_size() const;
};

struct GgufTensor {
  std::string name;
  GgmlType type;
  std::vector<int64_t> ne;  // ggml order: ne[0] is the contiguous (innermost) dimension
  uint64_t offset;          // relative to the data section
  const uint8_t* data;      // inside the mapping; valid while the file is open
  size_t nbytes;            // numel / block_size * type_size, checked at open
  std::string file;         // for error messages

  int64_t numel() const;
  int64_t cols() const { return ne.empty() ? 1 : ne[0]; }  // row length
  int64_t rows() const { return cols() ? numel() / cols() : 0; }
  std::string shape_str() const;  // ggml order, "[576,49152]"
};

class GgufFile {
 public:
  // Throws llmrun::Error naming the path (and key or tensor) when the file is missing,
  // truncated or malformed.
  static std::unique_ptr<GgufFile> open(const std::string& path);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // start of the data section

  // Metadata, by key.
  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  const GgufValue* find(const std::string& key) const;  // nullptr when absent
  // Typed getters: absent key or a value of the wrong type -> error naming the key.
  int64_t get_int(const std::string& key) const;  // any integer type
  double get_real(const std::string& key) const;  // f32/f64, or an integer type
  bool get_bool(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;
  const std::vector<std::string>& get_strings(const std::string& key) const;
  const std::vector<int64_t>& get_ints(const std::string& key) const;  // integer or bool elements
  const std::vector<double>& get_reals(const std::string& key) const;  // f32/f64 elements

  // In file order (ascending offset).
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* find_tensor(const std::string& name) const;  // nullptr when absent

 private:
  GgufFile() = default;
  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::map<std::string, GgufValue> metadata_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t> by_name_;
};

// True when `path` names a regular file whose first four bytes are "GGUF".
bool is_gguf_file(const std::string& path);

}  // namespace llmrun
