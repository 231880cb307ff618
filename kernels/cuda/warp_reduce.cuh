#pragma once
// Warp and block reductions in fp32 for the kernels of kernels/cuda (device code: include
// only from .cu files). Blocks are kThreads wide, a multiple of 32.
#include "kernels/cuda/device_compat.cuh"

namespace llmrun::LLMRUN_CUDA_NS {

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// Every thread of the block gets the sum. Contains __syncthreads: call from all threads.
template <int kThreads>
__device__ __forceinline__ float block_sum(float v) {
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps");
  __shared__ float partial[kThreads / 32];
  v = warp_sum(v);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < kThreads / 32; ++w) total += partial[w];  // same order in every thread
  __syncthreads();  // partial may be reused by the next call
  return total;
}

// The larger value wins; on equal values the smaller index. Thread 0 gets the result.
__device__ __forceinline__ void argmax_pick(float& best, int& index, float other, int other_index) {
  if (other > best || (other == best && other_index < index)) best = other, index = other_index;
}

template <int kThreads>
__device__ __forceinline__ void block_argmax(float& best, int& index) {
  __shared__ float values[kThreads / 32];
  __shared__ int indices[kThreads / 32];
  for (int offset = 16; offset > 0; offset /= 2) {
    const float v = __shfl_xor_sync(0xffffffffu, best, offset);
    const int i = __shfl_xor_sync(0xffffffffu, index, offset);
    argmax_pick(best, index, v, i);
  }
  if (threadIdx.x % 32 == 0) values[threadIdx.x / 32] = best, indices[threadIdx.x / 32] = index;
  __syncthreads();
  if (threadIdx.x == 0)
    for (int w = 1; w < kThreads / 32; ++w) argmax_pick(best, index, values[w], indices[w]);
  __syncthreads();
}

}  // namespace llmrun::LLMRUN_CUDA_NS
