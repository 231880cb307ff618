// fp6: E3M2 codes (fp6_e3m2.h), per-row scale = amax / 28, 4 codes packed in 3 bytes
// (layout in fp6_e3m2.h).
#include "kernels/quant/codec_registry.h"
#include "kernels/quant/fp6_e3m2.h"
#include "kernels/quant/scaled_codec.h"

namespace llmrun {
namespace {

struct Fp6E3M2Traits {
  static constexpr int kBits = 6;
  static constexpr int kBlockSize = 4;
  static constexpr int kBlockBytes = 3;
  static constexpr float kMaxCodeValue = quant::kFp6E3M2Max;
  static uint8_t encode(float scaled) { return quant::fp6_e3m2_from_f32(scaled); }
  static float decode(uint8_t code) { return quant::fp6_e3m2_to_f32(code); }
  static void pack(const uint8_t* codes, uint8_t* block) { quant::fp6_pack4(codes, block); }
  static void unpack(const uint8_t* block, uint8_t* codes) { quant::fp6_unpack4(block, codes); }
};

}  // namespace

constexpr CodecRecord kCodecFp6 =
    quant::ScaledCodec<Fp6E3M2Traits>::record(WeightFormat::fp6_e3m2, "fp6");

}  // namespace llmrun
