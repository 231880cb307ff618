// The group-scaled formats (grouped_codec.h): an element code and a group size each.
#include "kernels/quant/code_traits.h"
#include "kernels/quant/codec_registry.h"
#include "kernels/quant/grouped_codec.h"

namespace llmrun {

constexpr CodecRecord kCodecInt8G32 = quant::GroupedCodec<quant::Int8Traits, 32>::record(WeightFormat::int8_g32, "int8-g32",
                                                                                            WeightFormat::int8);
constexpr CodecRecord kCodecFp8G32 =
    quant::GroupedCodec<quant::Fp8E4M3Traits, 32>::record(WeightFormat::fp8_g32, "fp8-g32", WeightFormat::fp8_e4m3);
constexpr CodecRecord kCodecFp6E2M3G32 =
    quant::GroupedCodec<quant::Fp6E2M3Traits, 32>::record(WeightFormat::fp6_e2m3_g32, "fp6-e2m3-g32", WeightFormat::fp6_e2m3);
constexpr CodecRecord kCodecInt8G64 =
    quant::GroupedCodec<quant::Int8Traits, 64>::record(WeightFormat::int8_g64, "int8-g64", WeightFormat::int8);
constexpr CodecRecord kCodecFp8G64 =
    quant::GroupedCodec<quant::Fp8E4M3Traits, 64>::record(WeightFormat::fp8_g64, "fp8-g64", WeightFormat::fp8_e4m3);
constexpr CodecRecord kCodecFp6E2M3G64 =
    quant::GroupedCodec<quant::Fp6E2M3Traits, 64>::record(WeightFormat::fp6_e2m3_g64, "fp6-e2m3-g64", WeightFormat::fp6_e2m3);

}  // namespace llmrun
