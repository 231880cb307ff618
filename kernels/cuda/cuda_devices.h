#pragma once
// What CUDA devices this build can see. Built without CUDA, the functions say so
// instead of failing to link (kernels/cuda/cuda_devices_stub.cpp).
#include <string>
#include <vector>

namespace llmrun::cuda {

struct DeviceInfo {
  int index = 0;
  std::string name;
  int compute_major = 0, compute_minor = 0;
  size_t total_memory = 0;  // bytes
  int multiprocessors = 0;
};

bool built_with_cuda();
// Empty when there is no driver or device; throws llmrun::Error on other CUDA errors.
std::vector<DeviceInfo> list_devices();
// Why CUDA is unavailable, for error messages ("built without CUDA", "no CUDA device").
std::string unavailable_reason();

// out[i] = x[i] + y[i] over n fp32 values on the device (device pointers).
// Proves the toolchain and launch/error path; used by the CUDA self-test.
void add_f32(const float* x, const float* y, float* out, size_t n);
// Host round trip through add_f32: copies in, launches, copies back.
std::vector<float> add_f32_host(const std::vector<float>& x, const std::vector<float>& y);

}  // namespace llmrun::cuda
