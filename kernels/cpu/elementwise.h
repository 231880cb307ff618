#pragma once
// Row-wise and elementwise ops of the decoder, fp32. `threads` splits large tensors by rows
// or values; every value is computed the same way whatever the count.
#include <vector>

#include "kernels/cpu/cpu_tensor.h"
#include "kernels/cpu/linear.h"

namespace llmrun::cpu {

void embed(const CpuWeight& table, const std::vector<int32_t>& ids, CpuTensor& out);
// y = x / sqrt(mean(x^2) + eps) * gain over `width`-wide slices of every row.
void rmsnorm(const CpuTensor& x, const CpuWeight& gain, float eps, int64_t width, CpuTensor& out,
             int threads = 1);
// Row r sits at position positions[r].
void rope(CpuTensor& x, int64_t head_dim, const int32_t* positions, const CpuWeight& inv_freq,
          float attention_factor = 1.0f, int threads = 1);
// silu(gate) * up with best_kernel_isa()'s vector e^x (<= 2 ulp); KernelIsa::scalar is the
// reference (std::exp).
void swiglu(const CpuTensor& gate, const CpuTensor& up, CpuTensor& out, int threads = 1);
void swiglu(const CpuTensor& gate, const CpuTensor& up, CpuTensor& out, int threads, KernelIsa isa);
void add(CpuTensor& x, const CpuTensor& y, int threads = 1);

}  // namespace llmrun::cpu
