// F32, F16, BF16: element by element (ggml_fp16_to_fp32 / ggml_bf16_to_fp32).
#include <cstring>

#include "kernels/quant/half.h"
#include "loaders/gguf_dequant.h"

namespace llmrun::gguf_dequant {

void f32(const uint8_t* src, int64_t n, float* dst) { std::memcpy(dst, src, size_t(n) * 4); }

void f16(const uint8_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = quant::f16_to_f32(uint16_t(src[2 * i] | (src[2 * i + 1] << 8)));
}

void bf16(const uint8_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = quant::bf16_to_f32(uint16_t(src[2 * i] | (src[2 * i + 1] << 8)));
}

}  // namespace llmrun::gguf_dequant
