// fp6-e2m3: E2M3 codes (fp6_e2m3.h), per-row scale = amax / 7.5, 4 codes packed in 3 bytes
// (the layout of fp6_e3m2.h).
#include "kernels/quant/code_traits.h"
#include "kernels/quant/codec_registry.h"

namespace llmrun {

constexpr CodecRecord kCodecFp6E2M3 = quant::ScaledCodec<quant::Fp6E2M3Traits>::record(WeightFormat::fp6_e2m3, "fp6-e2m3");

}  // namespace llmrun
