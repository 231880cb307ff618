#pragma once
// The device KV cache of one layer, and the kernel that appends new tokens' keys and values
// to it. Shared by the attention kernels (attention_decode.cuh, attention_prefill.cuh).
#include <cstdint>
#include <string>

#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/stream.h"

namespace llmrun::LLMRUN_CUDA_NS {

// One layer of the cache, keys and values alike: [slots, kv_heads, capacity, head_dim] Act,
// one slot per sequence; element (s, h, p, d) at base_s[h * head_stride + p * head_dim + d]
// (positions are dense rows of head_dim elements), where base_s is
//  - k + s * slot_stride when k_slots is null (one allocation holds every slot), or
//  - k_slots[s] (a device array of `slots` pointers, each 16-byte aligned): sequences whose
//    caches were allocated apart, attended in one launch.
// The same for v / v_slots.
template <typename Act>
struct KvLayer {
  Act* k = nullptr;
  Act* v = nullptr;
  Act* const* k_slots = nullptr;
  Act* const* v_slots = nullptr;
  int64_t slot_stride = 0;  // elements between slots (>= kv_heads * head_stride; unused with k_slots)
  int64_t head_stride = 0;  // elements between kv heads (>= capacity * head_dim)
  int32_t slots = 0;
  int32_t kv_heads = 0;
  int32_t capacity = 0;  // positions per slot
  int32_t head_dim = 0;  // 1..256

  __device__ __forceinline__ Act* keys(int32_t s) const { return k_slots ? k_slots[s] : k + s * slot_stride; }
  __device__ __forceinline__ Act* values(int32_t s) const { return v_slots ? v_slots[s] : v + s * slot_stride; }
  // The layout is consistent (checked on the host before every launch).
  bool valid() const {
    const bool bases = k_slots ? v_slots != nullptr : k && v && slot_stride >= kv_heads * head_stride;
    return bases && slots > 0 && kv_heads > 0 && capacity > 0 && head_dim > 0 &&
           head_stride >= int64_t(capacity) * head_dim;
  }
  // Whether every slot base allows 16-byte accesses (table entries are aligned by contract).
  bool bases_aligned16() const {
    constexpr int64_t kVec = int64_t(16 / sizeof(Act));
    const auto aligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; };
    return k_slots || (aligned(k) && aligned(v) && slot_stride % kVec == 0);
  }
  std::string describe() const {
    return "slots " + std::to_string(slots) + (k_slots ? " (table)" : " slot_stride " + std::to_string(slot_stride)) +
           " kv_heads " + std::to_string(kv_heads) + " capacity " + std::to_string(capacity) + " head_dim " +
           std::to_string(head_dim) + " head_stride " + std::to_string(head_stride);
  }
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
