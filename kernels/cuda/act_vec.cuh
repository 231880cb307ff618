#pragma once
// 16-byte vectors of activations: one aligned load or store moves 16 / sizeof(Act)
// elements (8 bf16/f16, 4 float), which nvcc emits as a single 128-bit access. Unpacking
// to fp32 is the bit-exact conversion of act_types.cuh. Plain C++-includable (LLMRUN_HD);
// used by the attention and KV-cache kernels.
#include <cstdint>
#include <cstring>

#include "kernels/cuda/act_types.cuh"
#include "runtime/error.h"

// `#pragma unroll` for nvcc; nothing in the host build (where g++ would warn about it).
#if defined(__CUDACC__)
#define LLMRUN_UNROLL _Pragma("unroll")
#else
#define LLMRUN_UNROLL
#endif

namespace llmrun::LLMRUN_CUDA_NS {

struct alignas(16) Vec16 {
  uint32_t w[4];
};

// Elements of Act in one Vec16.
template <typename Act>
constexpr int vec16_elems() {
  return int(16 / sizeof(Act));
}

#if !defined(__CUDA_ARCH__)
// A misaligned 16-byte access faults on the GPU; the host build says so instead of
// silently working, so the harness proves the launchers' alignment checks.
inline void check_vec16_alignment(const void* p) {
  if (reinterpret_cast<uintptr_t>(p) % 16 != 0) fail("misaligned 16-byte access at ", p);
}
#endif

// p must be 16-byte aligned. Under nvcc a plain aggregate load (ld.global.v4 / ld.shared.v4);
// on the host a memcpy, so the harness build has no aliasing questions.
LLMRUN_HD Vec16 load_vec16(const void* p) {
#if defined(__CUDA_ARCH__)
  return *static_cast<const Vec16*>(p);
#else
  check_vec16_alignment(p);
  Vec16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
#endif
}

LLMRUN_HD void store_vec16(void* p, const Vec16& v) {
#if defined(__CUDA_ARCH__)
  *static_cast<Vec16*>(p) = v;
#else
  check_vec16_alignment(p);
  std::memcpy(p, &v, sizeof v);
#endif
}

// Element e (0 <= e < vec16_elems<Act>(), a compile-time constant after unrolling) as fp32.
template <typename Act>
LLMRUN_HD float vec16_get(const Vec16& v, int e);
template <>
LLMRUN_HD float vec16_get<float>(const Vec16& v, int e) {
  return quant::f32_from_bits(v.w[e]);
}
template <>
LLMRUN_HD float vec16_get<bf16_t>(const Vec16& v, int e) {
  return to_f32(bf16_t{uint16_t(v.w[e / 2] >> (16 * (e % 2)))});
}
template <>
LLMRUN_HD float vec16_get<f16_t>(const Vec16& v, int e) {
  return to_f32(f16_t{uint16_t(v.w[e / 2] >> (16 * (e % 2)))});
}

// The storage bits of one element.
LLMRUN_HD uint32_t act_bits(float x) { return quant::f32_bits(x); }
LLMRUN_HD uint32_t act_bits(bf16_t x) { return x.bits; }
LLMRUN_HD uint32_t act_bits(f16_t x) { return x.bits; }

// x[0 .. vec16_elems<Act>()) rounded to Act and packed.
template <typename Act>
LLMRUN_HD Vec16 vec16_pack(const float* x) {
  Vec16 v{};
  if constexpr (vec16_elems<Act>() == 4) {
    for (int i = 0; i < 4; ++i) v.w[i] = act_bits(from_f32<Act>(x[i]));
  } else {
    for (int i = 0; i < 4; ++i)
      v.w[i] = act_bits(from_f32<Act>(x[2 * i])) | (act_bits(from_f32<Act>(x[2 * i + 1])) << 16);
  }
  return v;
}

}  // namespace llmrun::LLMRUN_CUDA_NS
