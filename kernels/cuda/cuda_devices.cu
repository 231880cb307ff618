#include "kernels/cuda/cuda_devices.h"

#include "kernels/cuda/cuda_check.h"

namespace llmrun::cuda {

bool built_with_cuda() { return true; }

std::vector<DeviceInfo> list_devices() {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status == cudaErrorNoDevice || status == cudaErrorInsufficientDriver) {
    cudaGetLastError();  // clear the sticky error so later calls are not confused by it
    return {};
  }
  LLMRUN_CUDA_CHECK(status);
  std::vector<DeviceInfo> devices;
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p;
    LLMRUN_CUDA_CHECK(cudaGetDeviceProperties(&p, i));
    devices.push_back({i, p.name, p.major, p.minor, p.totalGlobalMem, p.multiProcessorCount});
  }
  return devices;
}

std::string unavailable_reason() {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return std::string("no usable CUDA device (") + cudaGetErrorString(status) + ")";
  }
  return count == 0 ? "no CUDA device" : "";
}

}  // namespace llmrun::cuda
