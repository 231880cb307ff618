#include "kernels/cpu/cpu_tensor.h"

#include <cstring>
#include <new>

#include "kernels/quant/grouped_codec.h"
#include "kernels/quant/half.h"
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

namespace {

int64_t codes_row_bytes(const CodecRecord& c, int64_t cols) {
  if (c.group_size == 0) return c.row_bytes(cols);
  const int64_t groups = (cols + c.group_size - 1) / c.group_size;
  return codec(c.element).row_bytes(groups * c.group_size);
}

}  // namespace

CpuWeight::CpuWeight(const HostWeight& w)
    : Weight(w.name, w.format, w.rows, w.cols),
      codes_codec(&codec(codec(w.format).codes_format())),
      row_bytes(codes_row_bytes(codec(w.format), w.cols)),
      scales(w.scales) {
  const CodecRecord& c = codec(w.format);
  const int64_t host_row = c.row_bytes(w.cols);
  if (int64_t(w.packed.size()) != w.rows * host_row || int64_t(scales.size()) != w.rows)
    fail(w.name, ": packed weight has ", w.packed.size(), " bytes and ", scales.size(),
         " scales; expected ", w.rows * host_row, " and ", w.rows);
  if (c.group_size == 0) {
    packed = w.packed;
  } else {
    groups_per_row = (w.cols + c.group_size - 1) / c.group_size;
    const int64_t code_bytes = c.block_bytes - 2;  // a group's codes (test_codec_all_formats)
    packed.resize(size_t(w.rows * row_bytes));
    // 8 more (zeros): the GEMV converts 8 scales at a time, past the last row's end.
    group_scales.resize(size_t(w.rows * groups_per_row + kGroupScalePad));
    for (int64_t r = 0; r < w.rows; ++r)
      for (int64_t g = 0; g < groups_per_row; ++g) {
        const uint8_t* block = w.packed.data() + r * host_row + g * c.block_bytes;
        group_scales[size_t(r * groups_per_row + g)] = quant::block_scale_bits(block);
        std::memcpy(packed.data() + r * row_bytes + g * code_bytes, block + 2, size_t(code_bytes));
      }
  }
  // Vectors (norm gains, biases, frequencies) are read whole by elementwise ops.
  if (w.rows == 1) {
    as_f32.resize(size_t(w.cols));
    decode_row(0, as_f32.data());
  }
}

void CpuWeight::decode_row(int64_t r, float* out) const {
  codes_codec->decode_row(row(r), scales[size_t(r)], cols(), out);
  if (group_scales.empty()) return;
  // Element code value (times the row scale, 1) times the group's fp16 scale: the same
  // single product the grouped codec's decode_row forms.
  const int64_t g = codec(format()).group_size;
  const uint16_t* gs = group_scales.data() + r * groups_per_row;
  for (int64_t i = 0; i < cols(); ++i) out[i] *= quant::f16_to_f32(gs[i / g]);
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
