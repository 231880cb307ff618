#pragma once
// The CUDA built-ins that kernels/cuda uses, for the host harness build (included by
// device_compat.cuh when LLMRUN_HOST_HARNESS is defined; never under nvcc). Each reads or
// acts on the harness thread being run (executor.h).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/cuda/harness/executor.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) alignas(n)
// A block's threads are fibers of one OS thread and blocks run one at a time there, so a
// function-local thread_local static is exactly one array per running block.
#define __shared__ static thread_local

#define threadIdx (::llmrun::harness::thread_index())
#define blockIdx (::llmrun::harness::block_index())
#define blockDim (::llmrun::harness::block_dim())
#define gridDim (::llmrun::harness::grid_dim())
#define warpSize 32

#define LLMRUN_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(::llmrun::harness::dynamic_shared())

inline void __syncthreads() { ::llmrun::harness::sync_threads(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::llmrun::harness::sync_warp(mask); }

namespace llmrun::harness::detail {
template <typename T>
uint64_t to_bits(T v) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "a shuffle moves up to 8 bytes");
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof v);
  return b;
}
template <typename T>
T from_bits(uint64_t b) {
  T v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}
// Lane `lane`'s segment of `width` lanes starts at (lane / width) * width.
inline int segment_base(int lane, int width) { return lane / width * width; }
}  // namespace llmrun::harness::detail

template <typename T>
T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
  using namespace ::llmrun::harness;
  const int lane = lane_id();
  const int s = detail::segment_base(lane, width) + (src % width + width) % width;
  return detail::from_bits<T>(shuffle(mask, detail::to_bits(v), s));
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  using namespace ::llmrun::harness;
  const int lane = lane_id();
  int s = lane ^ lane_mask;
  if (s >= detail::segment_base(lane, width) + width) s = lane;  // beyond the segment: own value
  return detail::from_bits<T>(shuffle(mask, detail::to_bits(v), s));
}
template <typename T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  using namespace ::llmrun::harness;
  const int lane = lane_id();
  int s = lane + int(delta);
  if (s >= detail::segment_base(lane, width) + width) s = lane;
  return detail::from_bits<T>(shuffle(mask, detail::to_bits(v), s));
}
template <typename T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  using namespace ::llmrun::harness;
  const int lane = lane_id();
  int s = lane - int(delta);
  if (s < detail::segment_base(lane, width)) s = lane;
  return detail::from_bits<T>(shuffle(mask, detail::to_bits(v), s));
}
inline unsigned __ballot_sync(unsigned mask, int predicate) { return ::llmrun::harness::ballot(mask, predicate != 0); }
inline int __any_sync(unsigned mask, int predicate) { return ::llmrun::harness::ballot(mask, predicate != 0) != 0; }
inline int __all_sync(unsigned mask, int predicate) { return ::llmrun::harness::ballot(mask, predicate != 0) == mask; }

// Blocks never overlap and a block's fibers switch only at collectives, so read-modify-
// write is atomic here as written.
template <typename T>
T atomicAdd(T* address, T v) {
  const T old = *address;
  *address = old + v;
  return old;
}
template <typename T>
T atomicMax(T* address, T v) {
  const T old = *address;
  if (v > old) *address = v;
  return old;
}
template <typename T>
T atomicExch(T* address, T v) {
  const T old = *address;
  *address = v;
  return old;
}
template <typename T>
T atomicCAS(T* address, T compare, T v) {
  const T old = *address;
  if (old == compare) *address = v;
  return old;
}

template <typename T>
T __ldg(const T* p) {
  return *p;
}
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float x, float y) { return x / y; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline unsigned __float_as_uint(float x) {
  unsigned u;
  std::memcpy(&u, &x, 4);
  return u;
}
inline float __uint_as_float(unsigned u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}
inline int __float_as_int(float x) { return int(__float_as_uint(x)); }
inline float __int_as_float(int i) { return __uint_as_float(unsigned(i)); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(unsigned(x)); }
inline int __ffs(int x) { return __builtin_ffs(x); }
