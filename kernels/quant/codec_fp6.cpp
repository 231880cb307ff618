// fp6: E3M2 codes (fp6_e3m2.h), per-row scale = amax / 28, 4 codes packed in 3 bytes
// (layout in fp6_e3m2.h).
#include "kernels/quant/code_traits.h"
#include "kernels/quant/codec_registry.h"

namespace llmrun {

constexpr CodecRecord kCodecFp6 = quant::ScaledCodec<quant::Fp6E3M2Traits>::record(WeightFormat::fp6_e3m2, "fp6-e3m2");

}  // namespace llmrun
