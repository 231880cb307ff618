#pragma once
// Codec records defined in their own files (codec_*.cpp) and listed by weight_format.cpp.
#include "kernels/quant/weight_format.h"

namespace llmrun {
extern const CodecRecord kCodecF32;
extern const CodecRecord kCodecF16;
extern const CodecRecord kCodecBF16;
}  // namespace llmrun
