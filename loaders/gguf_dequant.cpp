// The table of convertible GGUF types and the whole-tensor conversion.
#include "loaders/gguf_dequant.h"

#include <algorithm>

#include "runtime/error.h"

namespace llmrun {

const std::vector<GgufDequantRecord>& gguf_dequant_table() {
  static const std::vector<GgufDequantRecord> table = {
      {GgmlType::f32, gguf_dequant::f32},   {GgmlType::f16, gguf_dequant::f16},
      {GgmlType::bf16, gguf_dequant::bf16}, {GgmlType::q4_0, gguf_dequant::q4_0},
      {GgmlType::q4_1, gguf_dequant::q4_1}, {GgmlType::q5_0, gguf_dequant::q5_0},
      {GgmlType::q5_1, gguf_dequant::q5_1}, {GgmlType::q8_0, gguf_dequant::q8_0},
      {GgmlType::q4_k, gguf_dequant::q4_k}, {GgmlType::q5_k, gguf_dequant::q5_k},
      {GgmlType::q6_k, gguf_dequant::q6_k},
  };
  return table;
}

DequantBlocks gguf_dequant_for(GgmlType type) {
  for (const GgufDequantRecord& r : gguf_dequant_table())
    if (r.type == type) return r.decode;
  return nullptr;
}

std::string gguf_dequant_type_names() {
  std::string s;
  for (const GgufDequantRecord& r : gguf_dequant_table()) s += (s.empty() ? "" : ", ") + std::string(ggml_type_info(r.type).name);
  return s;
}

std::vector<float> gguf_to_f32(const GgufTensor& t) {
  const GgmlTypeInfo& info = ggml_type_info(t.type);
  const DequantBlocks decode = gguf_dequant_for(t.type);
  if (!decode)
    fail(t.file, ": tensor ", t.name, ": type ", info.name, " cannot be converted (supported: ",
         gguf_dequant_type_names(), ")");
  const int64_t n = t.numel();
  std::vector<float> out(static_cast<size_t>(n));
  const int64_t blocks = n / info.block_size;  // the reader checked nbytes == blocks * type_size
  // Large tensors in parallel chunks of whole blocks.
  const int64_t chunk = 4096;
#pragma omp parallel for schedule(static) if (blocks >= 4 * chunk)
  for (int64_t b0 = 0; b0 < blocks; b0 += chunk) {
    const int64_t nb = std::min(chunk, blocks - b0);
    decode(t.data + b0 * info.type_size, nb, out.data() + b0 * info.block_size);
  }
  return out;
}

}  // namespace llmrun
