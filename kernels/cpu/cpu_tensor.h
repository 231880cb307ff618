#pragma once
// The CPU backend's storage: activations, weights and KV cache in host memory.
#include <cstdlib>
#include <memory>
#include <vector>

#include "runtime/backend.h"

namespace llmrun::cpu {

// A run of values that a tensor owns or views (vector-like, without ownership).
template <typename T>
struct Span {
  T* ptr = nullptr;
  size_t n = 0;
  T* data() const { return ptr; }
  size_t size() const { return n; }
  T* begin() const { return ptr; }
  T* end() const { return ptr + n; }
  T& operator[](size_t i) const { return ptr[i]; }
};

// The CPU computes every activation in fp32, so a tensor is fp32 or (ids, positions) i32.
class CpuTensor final : public Tensor {
 public:
  CpuTensor(int64_t rows, int64_t cols, TensorType dtype = TensorType::f32);
  // Rows [first, first + n) of base, sharing its storage.
  CpuTensor(const CpuTensor& base, int64_t first, int64_t n);
  float* row(int64_t r) { return data.data() + r * cols(); }
  const float* row(int64_t r) const { return data.data() + r * cols(); }
  Span<float> data;    // [rows, cols] fp32 (empty for i32 tensors)
  Span<int32_t> ints;  // [rows, cols] i32 (empty for f32 tensors)

 private:
  std::vector<float> f32_storage_;
  std::vector<int32_t> i32_storage_;
};

// A group-scaled format's blocks (an fp16 scale, then a group of element codes) are split
// on upload: `packed` keeps the codes as rows of the element format (whole groups, so each
// group's codes start where the previous group's end: aligned, scale-free vector loads),
// `group_scales` the scales. Other formats keep the codec's layout as it is.
class CpuWeight final : public Weight {
 public:
  explicit CpuWeight(const HostWeight& w);
  const uint8_t* row(int64_t r) const { return packed.data() + r * row_bytes; }
  // Row r decoded to fp32 with every scale applied: the codec's decode_row, bit for bit.
  void decode_row(int64_t r, float* out) const;
  const CodecRecord* codes_codec;  // the codec of packed's rows: the format's, or its element's
  int64_t row_bytes;
  std::vector<uint8_t> packed;  // [rows, row_bytes] (above)
  std::vector<float> scales;    // [rows]
  int64_t groups_per_row = 0;          // group-scaled formats: ceil(cols / group_size)
  std::vector<uint16_t> group_scales;  // [rows, groups_per_row] fp16 bits (+ kGroupScalePad zeros), or empty
  static constexpr int64_t kGroupScalePad = 8;
  std::vector<float> as_f32;    // [rows * cols] decoded, kept only for fp32 vectors
};

class CpuKvStorage final : public KvStorage {
 public:
  CpuKvStorage(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity);
  // [kv_heads, capacity, head_dim] fp32 slices of one layer.
  float* k(int64_t layer, int64_t head, int64_t pos);
  float* v(int64_t layer, int64_t head, int64_t pos);

 private:
  size_t offset(int64_t layer, int64_t head, int64_t pos) const;
  // [layers, kv_heads, capacity, head_dim] fp32 from calloc: the kernel maps zero pages as
  // positions are first written, so a long context costs memory only as it fills.
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float[], Free> keys_, values_;
};

inline const CpuTensor& cpu(const Tensor& t) { return static_cast<const CpuTensor&>(t); }
inline CpuTensor& cpu(Tensor& t) { return static_cast<CpuTensor&>(t); }
inline const CpuWeight& cpu(const Weight& w) { return static_cast<const CpuWeight&>(w); }
inline CpuKvStorage& cpu(KvStorage& kv) { return static_cast<CpuKvStorage&>(kv); }

}  // namespace llmrun::cpu
