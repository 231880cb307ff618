// kernels/cuda/stream.h on a real GPU.
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/stream.h"

namespace llmrun::cuda {

OwnedStream::OwnedStream() { LLMRUN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
OwnedStream::~OwnedStream() { cudaStreamDestroy(stream_); }

void* device_alloc(size_t bytes, const char* what) {
  void* p = nullptr;
  const cudaError_t status = cudaMalloc(&p, bytes ? bytes : 1);
  if (status != cudaSuccess) {
    cudaGetLastError();
    size_t free_bytes = 0, total = 0;
    cudaMemGetInfo(&free_bytes, &total);
    fail("cannot allocate ", bytes, " bytes of GPU memory for ", what, " (", free_bytes >> 20, " MiB free of ",
         total >> 20, " MiB): ", cudaGetErrorString(status));
  }
  return p;
}

void device_free(void* p) noexcept {
  if (p) cudaFree(p);
}

void copy_to_device(void* dst, const void* src, size_t bytes, Stream stream) {
  LLMRUN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
}
void copy_on_device(void* dst, const void* src, size_t bytes, Stream stream) {
  LLMRUN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
}
void fill_zero(void* dst, size_t bytes, Stream stream) { LLMRUN_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, stream)); }
void copy_to_host(void* dst, const void* src, size_t bytes, Stream stream) {
  LLMRUN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream));
  LLMRUN_CUDA_CHECK(cudaStreamSynchronize(stream));
}
void synchronize(Stream stream) { LLMRUN_CUDA_CHECK(cudaStreamSynchronize(stream)); }

}  // namespace llmrun::cuda
