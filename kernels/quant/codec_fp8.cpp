// fp8: OCP E4M3FN codes (fp8_e4m3.h), per-row scale = amax / 448, one code per byte.
#include "kernels/quant/codec_registry.h"
#include "kernels/quant/fp8_e4m3.h"
#include "kernels/quant/scaled_codec.h"

namespace llmrun {
namespace {

struct Fp8E4M3Traits : quant::OneCodePerByte {
  static constexpr int kBits = 8;
  static constexpr float kMaxCodeValue = quant::kFp8E4M3Max;
  static uint8_t encode(float scaled) { return quant::fp8_e4m3_from_f32(scaled); }
  static float decode(uint8_t code) { return quant::fp8_e4m3_to_f32(code); }
};

}  // namespace

constexpr CodecRecord kCodecFp8 =
    quant::ScaledCodec<Fp8E4M3Traits>::record(WeightFormat::fp8_e4m3, "fp8");

}  // namespace llmrun
