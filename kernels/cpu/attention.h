#pragma once
#include "kernels/cpu/cpu_tensor.h"

namespace llmrun::cpu {

// Appends k, v to the cache at [start_pos, start_pos + n), then causal GQA attention
// with an fp32 softmax. q/out: [n, heads * head_dim]; k/v: [n, kv_heads * head_dim].
void attention(const CpuTensor& q, const CpuTensor& k, const CpuTensor& v, CpuKvStorage& cache,
               int64_t layer, int64_t start_pos, const AttentionShape& shape, CpuTensor& out,
               int threads);

}  // namespace llmrun::cpu
