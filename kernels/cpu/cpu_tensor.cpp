#include "kernels/cpu/cpu_tensor.h"

#include "runtime/error.h"

namespace llmrun::cpu {

CpuWeight::CpuWeight(const HostWeight& w)
    : Weight(w.name, w.format, w.rows, w.cols),
      row_bytes(codec(w.format).row_bytes(w.cols)),
      packed(w.packed),
      scales(w.scales) {
  if (int64_t(packed.size()) != w.rows * row_bytes || int64_t(scales.size()) != w.rows)
    fail(w.name, ": packed weight has ", packed.size(), " bytes and ", scales.size(),
         " scales; expected ", w.rows * row_bytes, " and ", w.rows);
  // Vectors (norm gains, biases, frequencies) are read whole by elementwise ops.
  if (w.rows == 1) {
    as_f32.resize(size_t(w.cols));
    codec(w.format).decode_row(packed.data(), scales[0], w.cols, as_f32.data());
  }
}

CpuKvStorage::CpuKvStorage(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity)
    : KvStorage(layers, kv_heads, head_dim, capacity),
      keys_(size_t(layers * kv_heads * capacity * head_dim)),
      values_(keys_.size()) {}

size_t CpuKvStorage::offset(int64_t layer, int64_t head, int64_t pos) const {
  return size_t(((layer * kv_heads() + head) * capacity() + pos) * head_dim());
}
float* CpuKvStorage::k(int64_t layer, int64_t head, int64_t pos) {
  return keys_.data() + offset(layer, head, pos);
}
float* CpuKvStorage::v(int64_t layer, int64_t head, int64_t pos) {
  return values_.data() + offset(layer, head, pos);
}

}  // namespace llmrun::cpu
