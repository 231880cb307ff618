// int8: symmetric per-row scale = amax / 127, one two's-complement code per byte.
#include "kernels/quant/codec_registry.h"
#include "kernels/quant/int8.h"
#include "kernels/quant/scaled_codec.h"

namespace llmrun {
namespace {

struct Int8Traits : quant::OneCodePerByte {
  static constexpr int kBits = 8;
  static constexpr float kMaxCodeValue = float(quant::kInt8MaxCode);
  static uint8_t encode(float scaled) { return uint8_t(quant::int8_from_scaled(scaled)); }
  static float decode(uint8_t code) { return quant::int8_to_f32(int8_t(code)); }
};

}  // namespace

constexpr CodecRecord kCodecInt8 = quant::ScaledCodec<Int8Traits>::record(WeightFormat::int8, "int8");

}  // namespace llmrun
