#pragma once
// Tiled causal attention with an online softmax (flash-attention style) for runs of new
// tokens: prefill of one or several sequences, each row with its own slot and position.
// A block takes a tile of query rows, packed as (token, query head) pairs of one kv head so
// the GQA heads share every key/value tile, and walks the slot's cache in tiles of positions
// held in shared memory, with fp32 scores, running max/sum and accumulators. The CPU
// reference is kernels/cpu/attention.cpp.
#include <cstdint>

#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/kv_write.cuh"
#include "kernels/cuda/stream.h"

namespace llmrun::LLMRUN_CUDA_NS {

// out[r, h * head_dim ..] = softmax_j(q_r,h . k_j * scale) v_j over j in [0, pos[r]] of slot
// slot[r], kv head h / (heads / kv_heads); fp32 scores, softmax and accumulation.
//   q:    [rows, heads * head_dim] Act, row stride q_stride elements (normed and roped)
//   slot, pos: [rows] int32 on the device (the rows' own k/v already written by kv_write;
//         rows of one sequence are best kept adjacent: a tile loops over the distinct runs
//         of slots among its rows)
//   out:  [rows, heads * head_dim] Act, contiguous
// head_dim 64 and 128 with 16-byte aligned pointers and strides take the fast path; any
// head_dim <= 256 is correct. A row whose slot or position is out of range on the device
// gets NaN outputs.
template <typename Act>
void attention_prefill(const Act* q, int64_t q_stride, const int32_t* slot, const int32_t* pos, int32_t rows,
                       const KvLayer<Act>& cache, int32_t heads, float scale, Act* out, Stream stream);

}  // namespace llmrun::LLMRUN_CUDA_NS
