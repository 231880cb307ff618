#pragma once
// Activation element types of the CUDA backend and their fp32 conversions, shared by host
// and device. bf16_t and f16_t are distinct 16-bit storage types so kernels can be
// templated on them; every conversion is the bit-exact one of kernels/quant/half.h (RNE),
// with the device using the equivalent hardware instruction where one exists (proven
// equal over all 65,536 codes on the GPU by tests/cuda).
#include <cstdint>

#include "kernels/cuda/device_compat.cuh"
#include "kernels/quant/half.h"
#include "kernels/quant/host_device.h"

#if defined(__CUDACC__) && !defined(LLMRUN_HOST_HARNESS)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

namespace llmrun::LLMRUN_CUDA_NS {

struct bf16_t {
  uint16_t bits;
};
struct f16_t {
  uint16_t bits;
};
static_assert(sizeof(bf16_t) == 2 && sizeof(f16_t) == 2, "16-bit storage");

LLMRUN_HD float to_f32(float x) { return x; }
LLMRUN_HD float to_f32(bf16_t x) { return quant::bf16_to_f32(x.bits); }
LLMRUN_HD float to_f32(f16_t x) {
#if defined(__CUDA_ARCH__)
  return __half2float(__ushort_as_half(x.bits));
#else
  return quant::f16_to_f32(x.bits);
#endif
}

template <typename T>
LLMRUN_HD T from_f32(float x);
template <>
LLMRUN_HD float from_f32<float>(float x) { return x; }
template <>
LLMRUN_HD bf16_t from_f32<bf16_t>(float x) {
#if defined(__CUDA_ARCH__)
  return bf16_t{__bfloat16_as_ushort(__float2bfloat16_rn(x))};
#else
  return bf16_t{quant::f32_to_bf16(x)};
#endif
}
template <>
LLMRUN_HD f16_t from_f32<f16_t>(float x) {
#if defined(__CUDA_ARCH__)
  return f16_t{__half_as_ushort(__float2half_rn(x))};
#else
  return f16_t{quant::f32_to_f16(x)};
#endif
}

}  // namespace llmrun::LLMRUN_CUDA_NS
