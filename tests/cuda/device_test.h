#pragma once
// For tests built by llmrun_add_cuda_test: the same test body runs on the host harness
// (NAME_host) and on a GPU (NAME_gpu, which skips when there is none).
#include <gtest/gtest.h>

#include "kernels/cuda/stream.h"

#if !defined(LLMRUN_HOST_HARNESS)
#include "kernels/cuda/cuda_devices.h"
#define LLMRUN_REQUIRE_DEVICE()                                                               \
  do {                                                                                        \
    if (::llmrun::cuda::list_devices().empty())                                               \
      GTEST_SKIP() << "no GPU here (" << ::llmrun::cuda::unavailable_reason() << "); the _host twin ran these on the harness"; \
  } while (0)
#else
#define LLMRUN_REQUIRE_DEVICE() \
  do {                          \
  } while (0)
#endif
