#pragma once
// One way to launch a kernel from a thin launcher: kernel<<<grid, block, shared, stream>>>
// plus a launch check under nvcc; a run on the CPU through the host harness otherwise
// (or a recording of it while a graph is being captured). `name` appears in errors.
#include <cstddef>

#include "kernels/cuda/device_compat.cuh"
#include "kernels/cuda/stream.h"

#if !defined(LLMRUN_HOST_HARNESS)
#include "kernels/cuda/cuda_check.h"
#endif

namespace llmrun::LLMRUN_CUDA_NS {

template <typename... Params, typename... Args>
void launch(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes,
            Stream stream, Args... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "kernel argument count");
#if defined(LLMRUN_HOST_HARNESS)
  harness::launch(stream, name, grid, block, shared_bytes, [=] { kernel(Params(args)...); });
#else
  (void)name;
  kernel<<<grid, block, shared_bytes, stream>>>(Params(args)...);
  LLMRUN_CUDA_CHECK(cudaPeekAtLastError());
#endif
}

}  // namespace llmrun::LLMRUN_CUDA_NS
