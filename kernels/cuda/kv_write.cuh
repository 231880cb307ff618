#pragma once
// The device KV cache of one layer, and the kernel that appends new tokens' keys and values
// to it. Shared by the attention kernels (attention_decode.cuh, attention_prefill.cuh).
#include <cstdint>

#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/stream.h"

namespace llmrun::LLMRUN_CUDA_NS {

// One layer of the cache, keys and values alike: [slots, kv_heads, capacity, head_dim] Act,
// one slot per sequence; element (s, h, p, d) at base[s * slot_stride + h * head_stride +
// p * head_dim + d] (positions are dense rows of head_dim elements).
template <typename Act>
struct KvLayer {
  Act* k = nullptr;
  Act* v = nullptr;
  int64_t slot_stride = 0;  // elements between slots (>= kv_heads * head_stride)
  int64_t head_stride = 0;  // elements between kv heads (>= capacity * head_dim)
  int32_t slots = 0;
  int32_t kv_heads = 0;
  int32_t capacity = 0;  // positions per slot
  int32_t head_dim = 0;  // 1..256
};

// For each row r < n and kv head h: cache(slot[r], h, pos[r], :) = k[r, h * head_dim ..
// (h + 1) * head_dim), and the same for v. k, v: [n, kv_heads * head_dim] Act with row
// strides k_stride, v_stride (elements; a fused QKV output works in place). slot, pos: [n]
// int32 on the device. The caller checks positions against the capacity on the host; a row
// whose slot or position is out of range on the device anyway is skipped (never written out
// of bounds), and attention turns it into NaN.
template <typename Act>
void kv_write(const Act* k, int64_t k_stride, const Act* v, int64_t v_stride, const int32_t* slot,
              const int32_t* pos, int32_t n, const KvLayer<Act>& cache, Stream stream);

}  // namespace llmrun::LLMRUN_CUDA_NS
