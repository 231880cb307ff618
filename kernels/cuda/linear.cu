// linear: GEMV for decode, dequantize + GEMM for prefill, and their shared epilogue.
#include "kernels/cuda/device_compat.cuh"
#include "kernels/cuda/linear.cuh"

#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/cuda/dequant_rows.cuh"
#include "kernels/cuda/gemv.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/weight_layout.h"
#include "kernels/quant/weight_format.h"
#include "runtime/error.h"

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t(1) << 20;

// out[t, r] = Act(sum_s partials[s, t, r] * scales[r] (+ bias[r])): the splits summed in
// order (deterministic), the scale once, the bias in fp32, one rounding.
template <typename Act>
__global__ void __launch_bounds__(kThreads)
    linear_epilogue_kernel(const float* __restrict__ partials,  // [splits, n, rows] fp32
                           int splits, int64_t n, int64_t rows,
                           const float* __restrict__ scales,  // [rows]
                           const float* __restrict__ bias,    // [rows] or null
                           Act* __restrict__ out) {           // [n, rows]
  const int64_t total = n * rows;
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < total; i += int64_t(gridDim.x) * kThreads) {
    const int64_t r = i % rows;
    float sum = partials[i];
    for (int s = 1; s < splits; ++s) sum += partials[s * total + i];
    float v = sum * scales[r];
    if (bias) v += bias[r];
    out[i] = from_f32<Act>(v);
  }
}

// out[i] = fp32(x[i]): activations widened for an fp32 GEMM (exact).
template <typename Act>
__global__ void __launch_bounds__(kThreads)
    widen_kernel(const Act* __restrict__ x, int64_t count, float* __restrict__ out) {
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < count; i += int64_t(gridDim.x) * kThreads)
    out[i] = to_f32(x[i]);
}

unsigned blocks_for(int64_t items) {
  const int64_t b = (items + kThreads - 1) / kThreads;
  return unsigned(b < 1 ? 1 : b < kMaxBlocks ? b : kMaxBlocks);
}

template <typename Act>
constexpr GemmType gemm_type_of() {
  return sizeof(Act) == 4 ? GemmType::f32 : std::is_same<Act, bf16_t>::value ? GemmType::bf16 : GemmType::f16;
}

// Whether every code of `format`, decoded as dequant_rows(apply_scale = false) writes it
// (value * 2^-fold_log2), is exactly an Act: then W can be decoded into Act for the GEMM
// without rounding. Read off the codec table once: every code of formats up to 16 bits
// (NaN staying NaN counts as exact); wider formats only into fp32.
template <typename Act>
bool codes_exact_in(WeightFormat format) {
  static const std::vector<bool> exact = [] {
    std::vector<bool> table;
    for (const CodecRecord* c : all_codecs()) {
      const size_t f = size_t(c->format);
      if (table.size() <= f) table.resize(f + 1, false);
      // Group-scaled values (code * group scale, dequant_rows.cuh) need up to 19 bits: fp32.
      if (sizeof(Act) == 4 || !cuda_layout::has_device_layout(c->format) ||
          cuda_layout::geometry_of(c->format).group_size > 0) {
        table[f] = sizeof(Act) == 4;
        continue;
      }
      if (c->bits > 16) continue;
      const float fold = std::ldexp(1.0f, -cuda_layout::geometry_of(c->format).fold_log2);
      bool all = true;
      std::vector<uint8_t> block(size_t(c->block_bytes));
      float value = 0.0f;
      for (uint32_t code = 0; code < (1u << c->bits) && all; ++code) {
        // The code first in a block of zero codes: its bits are the block's low bits in
        // every host layout (one code per 1-2 bytes; fp6's c0 in bits 5..0).
        for (size_t b = 0; b < block.size(); ++b) block[b] = uint8_t(b < 4 ? code >> (8 * b) : 0);
        c->decode_row(block.data(), 1.0f, 1, &value);
        const float v = value * fold;
        const float back = to_f32(from_f32<Act>(v));
        all = (v != v) ? (back != back) : back == v;
      }
      table[f] = all;
    }
    return table;
  }();
  return size_t(format) < exact.size() && exact[size_t(format)];
}

size_t align256(size_t b) { return (b + 255) / 256 * 256; }

// Where each part of a call's scratch lives (byte offsets) and how big it is.
struct ScratchLayout {
  bool gemv = false;
  GemvPlan plan;
  GemmType type = GemmType::f32;  // prefill GEMM input type
  bool w_in_place = false;        // prefill reads the device weight itself (f16/bf16 in kind)
  bool widen_x = false;           // prefill widens x to fp32
  size_t sums = 0, w = 0, x = 0;  // offsets of: fp32 sums [splits or 1, n, rows]; W; x
  size_t total = 0;
};

template <typename Act>
ScratchLayout scratch_layout(const DeviceWeight& w, int64_t n, const GemmContext& gemm) {
  ScratchLayout s;
  s.gemv = n <= kLinearGemvMaxTokens;
  if (s.gemv) {
    s.plan = plan_gemv(w, n, gemm.sm_count());
    s.total = s.plan.splits > 1 ? align256(size_t(s.plan.splits * n * w.rows) * sizeof(float)) : 0;
    return s;
  }
  s.type = codes_exact_in<Act>(w.format) ? gemm_type_of<Act>() : GemmType::f32;
  s.w_in_place = (w.format == WeightFormat::f16 && s.type == GemmType::f16) ||
                 (w.format == WeightFormat::bf16 && s.type == GemmType::bf16);
  s.widen_x = s.type == GemmType::f32 && sizeof(Act) != 4;
  const size_t elem = s.type == GemmType::f32 ? 4 : 2;
  s.w = align256(size_t(n * w.rows) * sizeof(float));
  s.x = s.w + (s.w_in_place ? 0 : align256(size_t(w.rows * w.k_pad) * elem));
  s.total = s.x + (s.widen_x ? align256(size_t(n * w.cols) * sizeof(float)) : 0);
  return s;
}

template <typename Act>
void launch_epilogue(const float* sums, int splits, int64_t n, const DeviceWeight& w, const float* bias, Act* out,
                     Stream stream) {
  launch("linear_epilogue", linear_epilogue_kernel<Act>, dim3(blocks_for(n * w.rows)), dim3(kThreads), 0, stream,
         sums, splits, n, w.rows, w.scales, bias, out);
}

template <typename Act>
void prefill(const DeviceWeight& w, const Act* x, int64_t n, const float* bias, Act* out, const ScratchLayout& s,
             uint8_t* scratch, GemmContext& gemm, Stream stream) {
  float* sums = reinterpret_cast<float*>(scratch + s.sums);  // [n, rows] fp32
  const void* wa = w.bytes;
  if (!s.w_in_place) {
    // Unscaled code values into [rows, k_pad] (row starts stay 16-byte aligned).
    if (s.type == GemmType::f32)
      dequant_rows(w, nullptr, w.rows, false, reinterpret_cast<float*>(scratch + s.w), w.k_pad, stream);
    else
      dequant_rows(w, nullptr, w.rows, false, reinterpret_cast<Act*>(scratch + s.w), w.k_pad, stream);
    wa = scratch + s.w;
  }
  const void* xa = x;
  if (s.widen_x) {
    float* wide = reinterpret_cast<float*>(scratch + s.x);
    launch("linear_widen", widen_kernel<Act>, dim3(blocks_for(n * w.cols)), dim3(kThreads), 0, stream, x,
           n * w.cols, wide);
    xa = wide;
  }
  gemm.matmul_nt(s.type, n, w.rows, w.cols, xa, w.cols, wa, w.k_pad, sums, w.rows, stream, w.name);
  launch_epilogue(sums, 1, n, w, bias, out, stream);
}

}  // namespace

template <typename Act>
size_t linear_scratch_bytes(const DeviceWeight& w, int64_t n, const GemmContext& gemm) {
  if (n <= 0 || w.rows == 0) return 0;
  return scratch_layout<Act>(w, n, gemm).total;
}

template <typename Act>
void linear(const DeviceWeight& w, const Act* x, int64_t n, const float* bias, Act* out, LinearScratch& scratch,
            GemmContext& gemm, Stream stream) {
  if (n < 0) fail(w.name, ": linear of ", n, " tokens");
  if (n == 0 || w.rows == 0) return;
  if (!x || !out || !w.bytes || !w.scales || (cuda_layout::geometry(w.format).group_size > 0 && !w.group_scales))
    fail(w.name, ": linear with a null pointer");
  if (w.k_pad != cuda_layout::k_pad(w.cols) || w.row_bytes != cuda_layout::device_row_bytes(w.format, w.cols))
    fail(w.name, ": not in the device layout (k_pad ", w.k_pad, ", row_bytes ", w.row_bytes, " for ", w.cols,
         " columns)");
  const ScratchLayout s = scratch_layout<Act>(w, n, gemm);
  if (scratch.bytes() < s.total)
    fail(w.name, ": linear of ", n, " tokens needs ", s.total, " bytes of scratch; it holds ", scratch.bytes(),
         " (reserve it from linear_scratch_bytes)");
  if (!s.gemv) return prefill(w, x, n, bias, out, s, scratch.data(), gemm, stream);
  float* partials = s.plan.splits > 1 ? reinterpret_cast<float*>(scratch.data() + s.sums) : nullptr;
  gemv(w, x, n, bias, out, partials, s.plan, stream);
  if (partials) launch_epilogue(partials, s.plan.splits, n, w, bias, out, stream);
}

#define LLMRUN_INSTANTIATE_LINEAR(Act)                                                                        \
  template size_t linear_scratch_bytes<Act>(const DeviceWeight&, int64_t, const GemmContext&);               \
  template void linear<Act>(const DeviceWeight&, const Act*, int64_t, const float*, Act*, LinearScratch&,    \
                            GemmContext&, Stream);
LLMRUN_INSTANTIATE_LINEAR(float)
LLMRUN_INSTANTIATE_LINEAR(bf16_t)
LLMRUN_INSTANTIATE_LINEAR(f16_t)
#undef LLMRUN_INSTANTIATE_LINEAR

}  // namespace llmrun::LLMRUN_CUDA_NS
