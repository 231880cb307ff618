#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_devices.h"

namespace llmrun::cuda {
namespace {

// Grid-stride loop: any n works with a bounded grid.
__global__ void add_f32_kernel(const float* __restrict__ x, const float* __restrict__ y,
                               float* __restrict__ out, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    out[i] = x[i] + y[i];
}

}  // namespace

void add_f32(const float* x, const float* y, float* out, size_t n) {
  if (n == 0) return;
  constexpr int kThreads = 256;
  const size_t blocks = (n + kThreads - 1) / kThreads;
  add_f32_kernel<<<unsigned(blocks < 65535 ? blocks : 65535), kThreads>>>(x, y, out, n);
  LLMRUN_CUDA_CHECK_LAUNCH();
}

std::vector<float> add_f32_host(const std::vector<float>& x, const std::vector<float>& y) {
  if (x.size() != y.size()) fail("add_f32_host: sizes differ (", x.size(), " vs ", y.size(), ")");
  const size_t bytes = x.size() * sizeof(float);
  float *dx = nullptr, *dy = nullptr, *dout = nullptr;
  std::vector<float> out(x.size());
  LLMRUN_CUDA_CHECK(cudaMalloc(&dx, bytes));
  LLMRUN_CUDA_CHECK(cudaMalloc(&dy, bytes));
  LLMRUN_CUDA_CHECK(cudaMalloc(&dout, bytes));
  LLMRUN_CUDA_CHECK(cudaMemcpy(dx, x.data(), bytes, cudaMemcpyHostToDevice));
  LLMRUN_CUDA_CHECK(cudaMemcpy(dy, y.data(), bytes, cudaMemcpyHostToDevice));
  add_f32(dx, dy, dout, x.size());
  LLMRUN_CUDA_CHECK(cudaMemcpy(out.data(), dout, bytes, cudaMemcpyDeviceToHost));
  LLMRUN_CUDA_CHECK(cudaFree(dx));
  LLMRUN_CUDA_CHECK(cudaFree(dy));
  LLMRUN_CUDA_CHECK(cudaFree(dout));
  return out;
}

}  // namespace llmrun::cuda
