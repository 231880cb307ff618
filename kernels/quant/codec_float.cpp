// Unscaled float formats: fp32, fp16, bf16 (the baselines).
#include <cmath>
#include <cstring>

#include "kernels/quant/codec_registry.h"
#include "kernels/quant/half.h"

namespace llmrun {
namespace {

struct F32Traits {
  using Storage = float;
  static float decode(float v) { return v; }
  static float encode(float v) { return v; }
};
struct F16Traits {
  using Storage = uint16_t;
  static float decode(uint16_t v) { return quant::f16_to_f32(v); }
  static uint16_t encode(float v) { return quant::f32_to_f16(v); }
};
struct BF16Traits {
  using Storage = uint16_t;
  static float decode(uint16_t v) { return quant::bf16_to_f32(v); }
  static uint16_t encode(float v) { return quant::f32_to_bf16(v); }
};

template <typename T>
void encode_row(const float* src, int64_t n, uint8_t* dst, float* scale) {
  for (int64_t i = 0; i < n; ++i) {
    typename T::Storage q = T::encode(src[i]);
    std::memcpy(dst + i * sizeof q, &q, sizeof q);
  }
  *scale = 1.0f;
}

template <typename T>
void decode_row(const uint8_t* src, float /*scale*/, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) {
    typename T::Storage q;
    std::memcpy(&q, src + i * sizeof q, sizeof q);
    dst[i] = T::decode(q);
  }
}

template <typename T>
float dot_row(const uint8_t* src, float /*scale*/, const float* x, int64_t n) {
  float acc = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    typename T::Storage q;
    std::memcpy(&q, src + i * sizeof q, sizeof q);
    acc += T::decode(q) * x[i];
  }
  return acc;
}

template <typename T>
int64_t first_non_finite(const uint8_t* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    typename T::Storage q;
    std::memcpy(&q, src + i * sizeof q, sizeof q);
    if (!std::isfinite(T::decode(q))) return i;
  }
  return -1;
}

template <typename T>
CodecRecord float_record(WeightFormat f, const char* name) {
  constexpr int bytes = int(sizeof(typename T::Storage));
  return CodecRecord{f, name, 8 * bytes, 1, bytes, false, 0.0f,
                     &encode_row<T>, &decode_row<T>, &dot_row<T>, &first_non_finite<T>};
}

}  // namespace

const CodecRecord kCodecF32 = float_record<F32Traits>(WeightFormat::f32, "fp32");
const CodecRecord kCodecF16 = float_record<F16Traits>(WeightFormat::f16, "fp16");
const CodecRecord kCodecBF16 = float_record<BF16Traits>(WeightFormat::bf16, "bf16");

}  // namespace llmrun
