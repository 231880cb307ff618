// int8: symmetric per-row scale = amax / 127, one two's-complement code per byte.
#include "kernels/quant/code_traits.h"
#include "kernels/quant/codec_registry.h"

namespace llmrun {

constexpr CodecRecord kCodecInt8 = quant::ScaledCodec<quant::Int8Traits>::record(WeightFormat::int8, "int8-row");

}  // namespace llmrun
