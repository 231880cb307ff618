#include "kernels/cpu/cpu_tensor.h"

#include <new>

#include "runtime/error.h"

namespace llmrun::cpu {

CpuTensor::CpuTensor(int64_t rows, int64_t cols, TensorType dtype) : Tensor(rows, cols, dtype) {
  const size_t n = size_t(rows * cols);
  if (dtype == TensorType::i32) {
    i32_storage_.resize(n);
    ints = {i32_storage_.data(), n};
  } else if (dtype == TensorType::f32) {
    f32_storage_.resize(n);
    data = {f32_storage_.data(), n};
  } else {
    fail("cpu backend: tensors are f32 or i32, not ", tensor_type_name(dtype));
  }
}

CpuTensor::CpuTensor(const CpuTensor& base, int64_t first, int64_t n) : Tensor(n, base.cols(), base.dtype()) {
  LLMRUN_CHECK(first >= 0 && n >= 0 && first + n <= base.rows(), "rows ", first, "+", n, " of ", base.rows());
  const size_t offset = size_t(first * base.cols()), count = size_t(n * base.cols());
  if (base.data.data()) data = {base.data.data() + offset, count};
  if (base.ints.data()) ints = {base.ints.data() + offset, count};
}

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
    : KvStorage(layers, kv_heads, head_dim, capacity) {
  const size_t n = size_t(layers * kv_heads * capacity * head_dim);  // the caller checked the size (kv_cache_bytes)
  keys_.reset(static_cast<float*>(std::calloc(n, sizeof(float))));
  values_.reset(static_cast<float*>(std::calloc(n, sizeof(float))));
  if (!keys_ || !values_) throw std::bad_alloc();
}

size_t CpuKvStorage::offset(int64_t layer, int64_t head, int64_t pos) const {
  return size_t(((layer * kv_heads() + head) * capacity() + pos) * head_dim());
}
float* CpuKvStorage::k(int64_t layer, int64_t head, int64_t pos) {
  return keys_.get() + offset(layer, head, pos);
}
float* CpuKvStorage::v(int64_t layer, int64_t head, int64_t pos) {
  return values_.get() + offset(layer, head, pos);
}

}  // namespace llmrun::cpu
