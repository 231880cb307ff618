#pragma once
// The linear op of the CUDA backend: out[n, rows] = x[n, cols] * W^T (+ bias) for every
// weight format (weight_layout.h) and activation type, with fp32 accumulation, the row
// scale applied once per row, the bias added in fp32 and one rounding to Act at the end.
//   n <= kLinearGemvMaxTokens (decode): the GEMV (gemv.cuh), split-K when rows are few.
//   more tokens (prefill): W decoded into scratch without its scales (dequant_rows.cuh),
//     a GEMM with fp32 accumulation (gemm.h), then scale, bias and rounding in one
//     epilogue. The GEMM runs in Act when every code of the format is exact in Act (int8,
//     fp8, fp6 in bf16/f16; f16 in f16, bf16 in bf16: those read W in place), else in fp32
//     (e.g. f16 weights with bf16 activations, and the group-scaled formats, whose decoded
//     values carry their group scales) so W is never rounded.
// Plain C++: the launcher and its scratch.
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/device_weight.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/stream.h"

namespace llmrun::LLMRUN_CUDA_NS {

constexpr int64_t kLinearGemvMaxTokens = 8;

// Device memory reused by every linear call. The owner sizes it once (reserve with the
// largest linear_scratch_bytes over its weights and token counts), so no call allocates
// and its address stays fixed for graph capture.
class LinearScratch {
 public:
  // Grows to at least `bytes` (reallocates: not while a graph is being captured).
  void reserve(size_t bytes) {
    if (bytes > buffer_.size()) buffer_ = DeviceBuffer<uint8_t>(bytes, "linear scratch");
  }
  size_t bytes() const { return buffer_.size(); }
  uint8_t* data() const { return buffer_.data(); }

 private:
  DeviceBuffer<uint8_t> buffer_;
};

// Scratch bytes linear<Act>(w, x, n, ...) needs (0 for an unsplit GEMV).
template <typename Act>
size_t linear_scratch_bytes(const DeviceWeight& w, int64_t n, const GemmContext& gemm);

// x: [n, w.cols] Act row-major (ld = cols); bias: [w.rows] fp32 device, or null;
// out: [n, w.rows] Act (must not overlap x). Act = float, bf16_t or f16_t. Queued on
// `stream`. Throws llmrun::Error naming the weight on bad arguments or a scratch smaller
// than linear_scratch_bytes.
template <typename Act>
void linear(const DeviceWeight& w, const Act* x, int64_t n, const float* bias, Act* out, LinearScratch& scratch,
            GemmContext& gemm, Stream stream);

}  // namespace llmrun::LLMRUN_CUDA_NS
