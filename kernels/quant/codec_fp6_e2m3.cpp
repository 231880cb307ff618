// fp6-e2m3: E2M3 codes (fp6_e2m3.h), per-row scale = amax / 7.5, 4 codes packed in 3 bytes
// (the layout of fp6_e3m2.h).
#include "kernels/quant/codec_registry.h"
#include "kernels/quant/fp6_e2m3.h"
#include "kernels/quant/scaled_codec.h"

namespace llmrun {
namespace {

struct Fp6E2M3Traits {
  static constexpr int kBits = 6;
  static constexpr int kBlockSize = 4;
  static constexpr int kBlockBytes = 3;
  static constexpr float kMaxCodeValue = quant::kFp6E2M3Max;
  static uint8_t encode(float scaled) { return quant::fp6_e2m3_from_f32(scaled); }
  static float decode(uint8_t code) { return quant::fp6_e2m3_to_f32(code); }
  static void pack(const uint8_t* codes, uint8_t* block) { quant::fp6_pack4(codes, block); }
  static void unpack(const uint8_t* block, uint8_t* codes) { quant::fp6_unpack4(block, codes); }
};

}  // namespace

constexpr CodecRecord kCodecFp6E2M3 =
    quant::ScaledCodec<Fp6E2M3Traits>::record(WeightFormat::fp6_e2m3, "fp6-e2m3");

}  // namespace llmrun
