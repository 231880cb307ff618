#pragma once
// Include first in every kernels/cuda source. Under nvcc this is CUDA as it is; in the
// host harness build (LLMRUN_HOST_HARNESS) the same source compiles as plain C++ and the
// CUDA built-ins our kernels use are provided by kernels/cuda/harness, which runs each
// launch on the CPU with CUDA's execution model (blocks of threads as fibers, shared
// memory per block, __syncthreads, warp shuffles/votes, atomics).
//
// LLMRUN_CUDA_NS names the namespace every kernels/cuda entity lives in: llmrun::cuda
// (nvcc, runs on the GPU) or llmrun::cuda_host (host harness), so both builds of one
// source link into the same binary.
//
// Supported built-ins (the harness fails loudly on anything it cannot model):
//   threadIdx blockIdx blockDim gridDim warpSize dim3 uint3
//   __global__ __device__ __host__ __forceinline__ __launch_bounds__ __restrict__
//   __shared__ (fixed-size arrays declared in a kernel)   LLMRUN_DYNAMIC_SHARED(T, name)
//   __syncthreads __syncwarp __shfl_sync __shfl_xor_sync __shfl_down_sync __shfl_up_sync
//   __ballot_sync __any_sync __all_sync   atomicAdd atomicMax atomicCAS atomicExch
//   __ldg __expf __logf __fdividef rsqrtf __float_as_uint __uint_as_float
//   __float_as_int __int_as_float __popc __clz __ffs
#include <cstddef>
#include <cstdint>

#if defined(LLMRUN_HOST_HARNESS)
#define LLMRUN_CUDA_NS cuda_host
#include "kernels/cuda/harness/builtins.h"
#else
#define LLMRUN_CUDA_NS cuda
#include <cuda_runtime.h>
// The block's dynamic shared memory (the launch's shared_bytes), as T*.
#define LLMRUN_DYNAMIC_SHARED(T, name)                       \
  extern __shared__ __align__(16) unsigned char llmrun_dynamic_smem_[]; \
  T* name = reinterpret_cast<T*>(llmrun_dynamic_smem_)
#endif
