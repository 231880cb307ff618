#pragma once
// Symmetric int8 codes: q = clamp(rne(v), -127, 127) of an already scaled value v = w / scale.
// -128 is never produced, so the range is symmetric and negation is exact.
#include <cmath>
#include <cstdint>

#include "kernels/quant/host_device.h"

namespace llmrun::quant {

constexpr int kInt8MaxCode = 127;

// NaN gives 0 (the codecs never feed it NaN; this only keeps the conversion defined).
LLMRUN_HD int8_t int8_from_scaled(float v) {
  if (!(v == v)) return 0;
  if (v > 127.0f) v = 127.0f;
  if (v < -127.0f) v = -127.0f;
  // rintf rounds in the current mode, which is round-to-nearest-even on host and device.
  return int8_t(rintf(v));
}

LLMRUN_HD float int8_to_f32(int8_t q) { return float(q); }

}  // namespace llmrun::quant
