#pragma once
// Every CUDA call and launch is checked; failures become llmrun::Error naming the call.
#include <cuda_runtime.h>

#include "runtime/error.h"

#define LLMRUN_CUDA_CHECK(call)                                                              \
  do {                                                                                       \
    cudaError_t llmrun_status_ = (call);                                                     \
    if (llmrun_status_ != cudaSuccess)                                                       \
      ::llmrun::fail(__FILE__, ":", __LINE__, ": ", #call, ": ", cudaGetErrorString(llmrun_status_)); \
  } while (0)

// After a kernel launch: launch-configuration errors surface here.
#define LLMRUN_CUDA_CHECK_LAUNCH() LLMRUN_CUDA_CHECK(cudaGetLastError())
