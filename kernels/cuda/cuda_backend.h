#pragma once
// The CUDA backend (kernels/cuda/cuda_backend.cu), in its two builds: llmrun::cuda runs on
// a GPU; llmrun::cuda_host is the same code with its kernels run by the host harness
// (`--device cuda-host`, a slow test device). Built without CUDA, cuda::make_cuda_backend
// throws an error that says so.
#include <memory>
#include <optional>

#include "runtime/backend.h"

namespace llmrun {
// activations: the activation dtype for every model (nullopt: the checkpoint's own).
namespace cuda {
std::unique_ptr<Backend> make_cuda_backend(int device, std::optional<TensorType> activations);
}
namespace cuda_host {
std::unique_ptr<Backend> make_cuda_backend(int device, std::optional<TensorType> activations);
}
}  // namespace llmrun
