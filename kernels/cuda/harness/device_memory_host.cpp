// kernels/cuda/stream.h for the host harness: "device" memory is host memory, and the
// stream is an executor that runs each step at once (or records it while capturing).
#include <cstdlib>
#include <cstring>

#include "kernels/cuda/stream.h"
#include "runtime/error.h"

namespace llmrun::cuda_host {

OwnedStream::OwnedStream() : stream_(new harness::Executor()) {}
OwnedStream::~OwnedStream() { delete stream_; }

void* device_alloc(size_t bytes, const char* what) {
  // 256-byte aligned like cudaMalloc; filled with 0xff (NaN in every float type) because
  // device memory starts as garbage and no kernel may read what it did not write.
  const size_t rounded = (bytes + 255) / 256 * 256;
  void* p = std::aligned_alloc(256, rounded ? rounded : 256);
  if (!p) fail("cannot allocate ", bytes, " bytes of (host harness) device memory for ", what);
  std::memset(p, 0xff, rounded);
  return p;
}

void device_free(void* p) noexcept { std::free(p); }

void copy_to_device(void* dst, const void* src, size_t bytes, Stream stream) {
  stream->enqueue([=] { std::memcpy(dst, src, bytes); });
}
void copy_on_device(void* dst, const void* src, size_t bytes, Stream stream) {
  stream->enqueue([=] { std::memmove(dst, src, bytes); });
}
void fill_zero(void* dst, size_t bytes, Stream stream) {
  stream->enqueue([=] { std::memset(dst, 0, bytes); });
}
void copy_to_host(void* dst, const void* src, size_t bytes, Stream stream) {
  if (stream->capturing()) fail("copy to the host while a graph is being captured (it would wait for the stream)");
  std::memcpy(dst, src, bytes);
}
void synchronize(Stream stream) {
  if (stream->capturing()) fail("synchronize while a graph is being captured");
}

}  // namespace llmrun::cuda_host
