#pragma once
#include "kernels/cpu/cpu_tensor.h"

namespace llmrun::cpu {

// out[n, W.rows] = x[n, W.cols] * W^T (+ bias). Weights are decoded a tile of rows at a
// time and each tile serves every input row, so a prefill of n tokens reads W once.
void linear(const CpuTensor& x, const CpuWeight& w, const CpuWeight* bias, CpuTensor& out,
            int threads);

}  // namespace llmrun::cpu
