#include "kernels/cuda/device_compat.cuh"
// Appending to the device KV cache: one thread per (row, kv head, piece of a head row),
// where a piece is 16 bytes when every address allows it and one element otherwise.
#include "kernels/cuda/kv_write.cuh"

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/act_vec.cuh"
#include "kernels/cuda/launch.cuh"
#include "runtime/error.h"

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

constexpr int kThreads = 256;

// kElems = vec16_elems<Act>() (16-byte pieces) or 1 (any alignment).
// k, v: [n, kv_heads * head_dim] Act (row strides k_stride, v_stride); slot, pos: [n] i32.
template <typename Act, int kElems>
__global__ void __launch_bounds__(kThreads) kv_write_kernel(const Act* __restrict__ k, int64_t k_stride,
                                                            const Act* __restrict__ v, int64_t v_stride,
                                                            const int32_t* __restrict__ slot,
                                                            const int32_t* __restrict__ pos, int32_t n,
                                                            KvLayer<Act> cache) {
  const int pieces = cache.head_dim / kElems;           // per head row
  const int64_t per_row = int64_t(cache.kv_heads) * pieces;
  const int64_t total = per_row * n;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int32_t r = int32_t(i / per_row);
    const int32_t h = int32_t(i % per_row / pieces);
    const int32_t d = int32_t(i % pieces) * kElems;
    const int32_t s = slot[r], p = pos[r];
    if (s < 0 || s >= cache.slots || p < 0 || p >= cache.capacity) continue;
    const int64_t dst = h * cache.head_stride + int64_t(p) * cache.head_dim + d;
    const int64_t col = int64_t(h) * cache.head_dim + d;
    Act* const keys = cache.keys(s);
    Act* const values = cache.values(s);
    if constexpr (kElems > 1) {
      store_vec16(keys + dst, load_vec16(k + r * k_stride + col));
      store_vec16(values + dst, load_vec16(v + r * v_stride + col));
    } else {
      keys[dst] = k[r * k_stride + col];
      values[dst] = v[r * v_stride + col];
    }
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

template <typename Act>
void kv_write(const Act* k, int64_t k_stride, const Act* v, int64_t v_stride, const int32_t* slot,
              const int32_t* pos, int32_t n, const KvLayer<Act>& cache, Stream stream) {
  if (n <= 0) return;
  const int64_t width = int64_t(cache.kv_heads) * cache.head_dim;
  LLMRUN_CHECK(cache.valid(), "kv_write: cache ", cache.describe());
  LLMRUN_CHECK(k_stride >= width && v_stride >= width, "k_stride ", k_stride, " v_stride ", v_stride, " < ", width);
  constexpr int kVec = vec16_elems<Act>();
  // 16-byte pieces need every base, stride and row to start on 16 bytes.
  const bool vec = cache.head_dim % kVec == 0 && k_stride % kVec == 0 && v_stride % kVec == 0 &&
                   cache.head_stride % kVec == 0 && aligned16(k) && aligned16(v) && cache.bases_aligned16();
  const int64_t pieces = int64_t(n) * width / (vec ? kVec : 1);
  const unsigned blocks = unsigned(std::min<int64_t>((pieces + kThreads - 1) / kThreads, 4096));
  if (vec)
    launch("kv_write", kv_write_kernel<Act, kVec>, dim3(blocks), dim3(kThreads), 0, stream, k, k_stride, v,
           v_stride, slot, pos, n, cache);
  else
    launch("kv_write", kv_write_kernel<Act, 1>, dim3(blocks), dim3(kThreads), 0, stream, k, k_stride, v, v_stride,
           slot, pos, n, cache);
}

#define LLMRUN_INSTANTIATE(Act)                                                                                \
  template void kv_write<Act>(const Act*, int64_t, const Act*, int64_t, const int32_t*, const int32_t*, int32_t, \
                              const KvLayer<Act>&, Stream);
LLMRUN_INSTANTIATE(float)
LLMRUN_INSTANTIATE(bf16_t)
LLMRUN_INSTANTIATE(f16_t)
#undef LLMRUN_INSTANTIATE

}  // namespace llmrun::LLMRUN_CUDA_NS
