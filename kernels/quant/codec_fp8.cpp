// fp8: OCP E4M3FN codes (fp8_e4m3.h), per-row scale = amax / 448, one code per byte.
#include "kernels/quant/code_traits.h"
#include "kernels/quant/codec_registry.h"

namespace llmrun {

constexpr CodecRecord kCodecFp8 = quant::ScaledCodec<quant::Fp8E4M3Traits>::record(WeightFormat::fp8_e4m3, "fp8-row");

}  // namespace llmrun
