#pragma once
// Attention over the device KV cache, picking the kernel by shape: few rows (decode, one
// token per sequence) split the cache across blocks (attention_decode.cuh); longer runs of
// new tokens share key/value tiles across their query rows (attention_prefill.cuh). Both
// compute the same function within fp32 rounding; the choice is only about speed.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/attention_decode.cuh"
#include "kernels/cuda/attention_prefill.cuh"
#include "kernels/cuda/kv_write.cuh"
#include "kernels/cuda/stream.h"

namespace llmrun::LLMRUN_CUDA_NS {

// Up to this many rows run as decode. Decode reads the cache once per row (no reuse across
// rows) but splits it across blocks; prefill reuses each key/value tile for a tile of rows,
// which pays only when rows share a sequence. A decode step of more sequences than this
// (one row each) should call attention_decode directly: prefill would run each row's
// sequence as its own pass over a mostly idle query tile.
constexpr int32_t kAttentionDecodeMaxRows = 16;

// fp32 scratch that attention() needs for any call with rows <= max_rows and positions
// < max_len (allocate once per workspace).
inline size_t attention_scratch_floats(int32_t max_rows, int32_t heads, int32_t kv_heads, int32_t head_dim,
                                       int32_t max_len) {
  size_t most = 0;
  for (int32_t r = 1; r <= std::min(max_rows, kAttentionDecodeMaxRows); ++r)
    most = std::max(most, plan_attention_decode(r, heads, kv_heads, head_dim, max_len).scratch_floats);
  return most;
}

// out = causal attention of q's rows over the cache (see attention_decode for the contract);
// max_len: an upper bound on pos[r] + 1 over the rows, <= cache.capacity (a captured graph
// passes the capacity it was captured for).
template <typename Act>
void attention(const Act* q, int64_t q_stride, const int32_t* slot, const int32_t* pos, int32_t rows,
               int32_t max_len, const KvLayer<Act>& cache, int32_t heads, float scale, float* scratch,
               size_t scratch_floats, Act* out, Stream stream) {
  if (rows <= kAttentionDecodeMaxRows)
    attention_decode(q, q_stride, slot, pos, rows, max_len, cache, heads, scale, scratch, scratch_floats, out, stream);
  else
    attention_prefill(q, q_stride, slot, pos, rows, cache, heads, scale, out, stream);
}

}  // namespace llmrun::LLMRUN_CUDA_NS
