// Built without CUDA: every entry point says so clearly.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_devices.h"
#include "runtime/error.h"

namespace llmrun::cuda {

bool built_with_cuda() { return false; }
std::vector<DeviceInfo> list_devices() { return {}; }
std::string unavailable_reason() { return "llmrun was built without CUDA (configure with -DLLMRUN_CUDA=ON and nvcc on PATH)"; }
void add_f32(const float*, const float*, float*, size_t) { fail(unavailable_reason()); }
std::vector<float> add_f32_host(const std::vector<float>&, const std::vector<float>&) { fail(unavailable_reason()); }
std::unique_ptr<Backend> make_cuda_backend(int, std::optional<TensorType>) { fail(unavailable_reason()); }

}  // namespace llmrun::cuda
