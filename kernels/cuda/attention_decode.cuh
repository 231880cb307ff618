#pragma once
// Flash-decoding: attention of a few query rows (decode: one new token per sequence, batch
// 1..8, or any rows whose positions are given) over their own sequences' KV cache. The cache
// is split into chunks; one block per (chunk, kv head, row) serves all of the kv head's GQA
// query heads (up to 8 per block), computing fp32 scores, an fp32 softmax within the chunk
// and the chunk's unnormalised output into a scratch buffer; a second kernel merges the
// chunks by log-sum-exp. With one chunk the first kernel writes the output directly.
// The CPU reference is kernels/cpu/attention.cpp.
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/kv_write.cuh"
#include "kernels/cuda/stream.h"

namespace llmrun::LLMRUN_CUDA_NS {

// How a decode launch splits the cache: chunk_len positions per block (a multiple of 64,
// 64..512), num_chunks = ceil(max_len / chunk_len), and the fp32 scratch it needs
// (0 with one chunk).
struct DecodePlan {
  int32_t chunk_len = 0;
  int32_t num_chunks = 0;
  size_t scratch_floats = 0;  // rows * heads * num_chunks * (head_dim + 2)
};

// chunk_len 0 picks one from the shape (enough blocks to fill a large GPU; the choice
// depends only on these arguments, so a captured graph stays valid). A nonzero chunk_len
// (multiple of 64, <= 512) forces it, for tests and benchmarks.
DecodePlan plan_attention_decode(int32_t rows, int32_t heads, int32_t kv_heads, int32_t head_dim, int32_t max_len,
                                 int32_t chunk_len = 0);

// out[r, h * head_dim ..] = softmax_j(q_r,h . k_j * scale) v_j over j in [0, pos[r]] of slot
// slot[r], kv head h / (heads / kv_heads); fp32 scores, softmax and accumulation.
//   q:    [rows, heads * head_dim] Act, row stride q_stride elements (normed and roped)
//   slot, pos: [rows] int32 on the device; every pos[r] < max_len <= cache.capacity
//   cache: the layer's keys and values (the rows' own k/v already written by kv_write)
//   scratch: scratch_floats fp32 on the device, >= plan.scratch_floats
//   out:  [rows, heads * head_dim] Act, contiguous
// head_dim 64 and 128 with 16-byte aligned q, cache and strides take the fast path (16-byte
// loads); any head_dim <= 256 is correct (element loads). A row whose slot or position is
// out of range on the device gets NaN outputs rather than a silent wrong answer.
template <typename Act>
void attention_decode(const Act* q, int64_t q_stride, const int32_t* slot, const int32_t* pos, int32_t rows,
                      int32_t max_len, const KvLayer<Act>& cache, int32_t heads, float scale, float* scratch,
                      size_t scratch_floats, Act* out, Stream stream, int32_t chunk_len = 0);

}  // namespace llmrun::LLMRUN_CUDA_NS
