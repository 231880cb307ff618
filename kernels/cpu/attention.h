#pragma once
#include "kernels/cpu/cpu_tensor.h"
#include "kernels/cpu/linear.h"

namespace llmrun::cpu {

// Appends k, v to the cache at [start_pos, start_pos + n), then causal GQA attention
// with an fp32 softmax. q/out: [n, heads * head_dim]; k/v: [n, kv_heads * head_dim].
// Runs the SIMD kernels (kernels/cpu/simd/attention_kernels.h) where attention_isa
// allows; KernelIsa::scalar is the reference they are tested against.
void attention(const CpuTensor& q, const CpuTensor& k, const CpuTensor& v, CpuKvStorage& cache,
               int64_t layer, int64_t start_pos, const AttentionShape& shape, CpuTensor& out,
               int threads);
// Throws llmrun::Error when `isa` cannot run here (CPU features, head_dim not whole vectors).
void attention(const CpuTensor& q, const CpuTensor& k, const CpuTensor& v, CpuKvStorage& cache,
               int64_t layer, int64_t start_pos, const AttentionShape& shape, CpuTensor& out,
               int threads, KernelIsa isa);

// The widest kernels this CPU has, no wider than `widest`, whose vectors divide head_dim.
KernelIsa attention_isa(int64_t head_dim, KernelIsa widest = KernelIsa::avx512);

}  // namespace llmrun::cpu
