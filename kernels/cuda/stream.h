#pragma once
// The stream work is queued on and device memory, for both builds of kernels/cuda:
// a cudaStream_t and CUDA device memory under nvcc, the host harness's executor and host
// memory in the harness build. Plain C++: launchers, the backend and tests include it.
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(LLMRUN_HOST_HARNESS)
#include "kernels/cuda/harness/executor.h"
#define LLMRUN_CUDA_NS cuda_host
#else
#include <cuda_runtime.h>
#define LLMRUN_CUDA_NS cuda
#endif

namespace llmrun::LLMRUN_CUDA_NS {

#if defined(LLMRUN_HOST_HARNESS)
using Stream = harness::Executor*;
#else
using Stream = cudaStream_t;
#endif

// A stream owned for its lifetime (tests, the backend). Under nvcc a non-blocking stream on
// the current device; in the harness build a fresh executor.
class OwnedStream {
 public:
  OwnedStream();
  ~OwnedStream();
  OwnedStream(const OwnedStream&) = delete;
  OwnedStream& operator=(const OwnedStream&) = delete;
  Stream get() const { return stream_; }

 private:
  Stream stream_;
};

// Throws llmrun::Error naming `what` and the size when the allocation fails.
void* device_alloc(size_t bytes, const char* what);
void device_free(void* p) noexcept;
// Queued on `stream`, in order with its kernels. copy_to_host waits for the stream.
void copy_to_device(void* dst, const void* src, size_t bytes, Stream stream);
void copy_to_host(void* dst, const void* src, size_t bytes, Stream stream);
void copy_on_device(void* dst, const void* src, size_t bytes, Stream stream);
void fill_zero(void* dst, size_t bytes, Stream stream);
void synchronize(Stream stream);

// Device memory for n values of T, freed with the buffer.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n, const char* what = "buffer")
      : data_(static_cast<T*>(n ? device_alloc(n * sizeof(T), what) : nullptr)), size_(n) {}
  ~DeviceBuffer() { device_free(data_); }
  DeviceBuffer(DeviceBuffer&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr, o.size_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      device_free(data_);
      data_ = o.data_, size_ = o.size_;
      o.data_ = nullptr, o.size_ = 0;
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* data() const { return data_; }
  size_t size() const { return size_; }
  size_t bytes() const { return size_ * sizeof(T); }
  void upload(const std::vector<T>& host, Stream stream) {
    copy_to_device(data_, host.data(), (host.size() < size_ ? host.size() : size_) * sizeof(T), stream);
  }
  std::vector<T> download(Stream stream) const {
    std::vector<T> host(size_);
    copy_to_host(host.data(), data_, bytes(), stream);
    return host;
  }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace llmrun::LLMRUN_CUDA_NS
