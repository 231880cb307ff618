#pragma once
// Codec records defined in their own files (codec_*.cpp) and listed by weight_format.cpp.
#include "kernels/quant/weight_format.h"

namespace llmrun {
extern const CodecRecord kCodecF32;
extern const CodecRecord kCodecF16;
extern const CodecRecord kCodecBF16;
extern const CodecRecord kCodecInt8;  // codec_int8.cpp
extern const CodecRecord kCodecFp8;   // codec_fp8.cpp
extern const CodecRecord kCodecFp6;   // codec_fp6.cpp
extern const CodecRecord kCodecFp6E2M3;  // codec_fp6_e2m3.cpp
extern const CodecRecord kCodecInt8G32;      // codec_grouped.cpp
extern const CodecRecord kCodecFp8G32;       // codec_grouped.cpp
extern const CodecRecord kCodecFp6E2M3G32;   // codec_grouped.cpp
extern const CodecRecord kCodecInt8G64;      // codec_grouped.cpp
extern const CodecRecord kCodecFp8G64;       // codec_grouped.cpp
extern const CodecRecord kCodecFp6E2M3G64;   // codec_grouped.cpp
}  // namespace llmrun
