#pragma once
// The decode-time linear (n <= 8 tokens): out[n, rows] = x[n, cols] * W^T (+ bias), one
// kernel template over the weight format (dequant::Format<F>), the activation type and the
// token count. Each weight byte is read once with 16-byte loads (a warp's lanes read
// consecutive chunks: weight_layout.h), decoded in registers, multiplied in fp32 with every
// token's x, summed per lane in fp32, then across the warp with shuffles; the row scale is
// applied once to the row's sum, the bias added in fp32, and the result rounded to Act
// once. When rows are few, K is split across warps (split-K) and the partial sums go to
// fp32 scratch for linear's epilogue (linear.cu) to finish in a fixed order
// (deterministic, unlike atomics). Plain C++: launcher and plan only.
#include <cstdint>

#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/device_weight.h"
#include "kernels/cuda/stream.h"

namespace llmrun::LLMRUN_CUDA_NS {

constexpr int64_t kGemvMaxTokens = 8;

// How one GEMV call is cut up.
struct GemvPlan {
  int token_tile = 0;              // the kernel instance's token count: 1, 2, 4 or 8 (>= n)
  int rows_per_warp = 0;           // rows one warp reads together (x is loaded once for them)
  int64_t row_warps = 0;           // ceil(rows / rows_per_warp)
  int splits = 1;                  // K ranges; > 1: partial sums to scratch
  int64_t segments_per_split = 0;  // a multiple of 32 (whole warp steps)
};

// sm_count: the device's (GemmContext::sm_count). Requires 1 <= n <= kGemvMaxTokens.
GemvPlan plan_gemv(const DeviceWeight& w, int64_t n, int sm_count);

// x: [n, w.cols] Act, row-major (ld = cols). plan.splits == 1: out[n, w.rows] Act =
// round(sum * scale + bias); bias [w.rows] fp32 or null. plan.splits > 1: partials
// [splits, n, w.rows] fp32 = the raw sums (no scale, no bias) and out is not touched.
// Act = float, bf16_t or f16_t. Throws llmrun::Error naming the weight on bad arguments.
template <typename Act>
void gemv(const DeviceWeight& w, const Act* x, int64_t n, const float* bias, Act* out, float* partials,
          const GemvPlan& plan, Stream stream);

}  // namespace llmrun::LLMRUN_CUDA_NS
