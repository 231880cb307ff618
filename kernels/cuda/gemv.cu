// GEMV kernels: one template over (format, activation type, token tile, rows per warp).
#include "kernels/cuda/device_compat.cuh"
#include "kernels/cuda/gemv.cuh"

#include <cstdint>
#include <type_traits>

#include "kernels/cuda/dequant.cuh"
#include "kernels/cuda/launch.cuh"

// Loops over register arrays must be unrolled so the arrays stay in registers (no local
// memory: scripts/check_cuda_static.sh fails the build's gate otherwise).
#if defined(__CUDACC__)
#define LLMRUN_GEMV_UNROLL _Pragma("unroll")
#else
#define LLMRUN_GEMV_UNROLL
#endif

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

constexpr int kWarps = 4;  // warps per block; each warp owns its rows, so any count works
// Split K until about this many warps per SM stream weights (half of an SM's 64 resident
// warps on sm_80..sm_90), keeping each split at least kMinStepsPerSplit warp steps long.
constexpr int64_t kTargetWarpsPerSm = 32;
constexpr int64_t kMinStepsPerSplit = 2;
constexpr int64_t kMaxSplits = 32;

template <typename Act>
struct GemvArgs {
  const uint8_t* w;      // [rows, row_bytes] device layout
  const float* scales;   // [rows] device scales
  const uint16_t* group_scales;  // [rows, groups_per_row] fp16 bits (group-scaled formats)
  int64_t groups_per_row;
  int64_t rows, cols, row_bytes, segments;
  const Act* x;          // [n, cols]
  int n;                 // tokens, <= the kernel's kTokens
  int64_t x_vec_segments;  // segments read with vector x loads: whole inside the row, and
                           // x rows 16-byte aligned (else 0)
  const float* bias;     // [rows] or null
  Act* out;              // [n, rows] (partials == null)
  float* partials;       // [splits, n, rows] raw sums, or null
  int64_t segments_per_split;
};

__device__ __forceinline__ float warp_sum(float v) {
  LLMRUN_GEMV_UNROLL
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// xv[0..8) = x_row[k0 .. k0 + 8) in fp32. vec: the 8 values lie inside the row and the row
// is 16-byte aligned (one or two 16-byte loads); else one masked load per value, zeros past
// cols (the weight's pad codes are +0, and x past its row is another row or unallocated).
template <typename Act>
__device__ __forceinline__ void load_x8(const Act* __restrict__ x_row, int64_t k0, int64_t cols, bool vec,
                                        float* xv) {
  if (vec) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(x_row + k0);
    const dequant::Chunk16 c = dequant::load_chunk(p);
    if constexpr (sizeof(Act) == 4) {
      const dequant::Chunk16 d = dequant::load_chunk(p + 16);
      LLMRUN_GEMV_UNROLL
      for (int j = 0; j < 4; ++j) xv[j] = quant::f32_from_bits(c.w[j]), xv[4 + j] = quant::f32_from_bits(d.w[j]);
    } else {
      LLMRUN_GEMV_UNROLL
      for (int j = 0; j < 4; ++j) {
        if constexpr (std::is_same<Act, bf16_t>::value)
          dequant::bf16x2_to_f32(c.w[j], xv[2 * j], xv[2 * j + 1]);
        else
          dequant::f16x2_to_f32(c.w[j], xv[2 * j], xv[2 * j + 1]);
      }
    }
    return;
  }
  LLMRUN_GEMV_UNROLL
  for (int j = 0; j < 8; ++j) xv[j] = k0 + j < cols ? to_f32(x_row[k0 + j]) : 0.0f;
}

// One warp: kRows consecutive rows from row0, K segments [blockIdx.y * segments_per_split,
// + segments_per_split); lane l takes segments begin + l, begin + l + 32, ...
// Group-scaled formats: each 8 codes' products are summed in fp32, and that sum times its
// group's scale is added to the lane's sum (one FMA per 8 codes and token, where scaling
// each weight would cost one multiply per code).
template <WeightFormat F, typename Act, int kTokens, int kRows>
__global__ void __launch_bounds__(kWarps * 32, 1) gemv_kernel(GemvArgs<Act> a) {
  using Fmt = dequant::Format<F>;
  static_assert(kTokens * kRows <= 32, "one lane writes each (token, row) result");
  const int lane = int(threadIdx.x % 32);
  const int64_t row0 = (int64_t(blockIdx.x) * kWarps + threadIdx.x / 32) * kRows;
  if (row0 >= a.rows) return;  // the whole warp leaves together
  const int64_t s_begin = int64_t(blockIdx.y) * a.segments_per_split;
  const int64_t s_end = s_begin + a.segments_per_split < a.segments ? s_begin + a.segments_per_split : a.segments;

  // Rows past the end re-read the last row (so loads stay in bounds and the warp stays
  // converged); their sums are never written.
  const uint8_t* w_row[kRows];
  const uint16_t* gs_row[kRows];
  LLMRUN_GEMV_UNROLL
  for (int r = 0; r < kRows; ++r) {
    const int64_t row = row0 + r < a.rows ? row0 + r : a.rows - 1;
    w_row[r] = a.w + row * a.row_bytes;
    gs_row[r] = Fmt::kGroupSize > 0 ? a.group_scales + row * a.groups_per_row : nullptr;
  }

  float acc[kTokens][kRows];  // fp32 sums of code * x, per lane
  LLMRUN_GEMV_UNROLL
  for (int t = 0; t < kTokens; ++t) {
    LLMRUN_GEMV_UNROLL
    for (int r = 0; r < kRows; ++r) acc[t][r] = 0.0f;
  }

  for (int64_t s = s_begin + lane; s < s_end; s += 32) {
    dequant::Chunk16 chunks[kRows][Fmt::kChunks];  // every load issued before any use
    LLMRUN_GEMV_UNROLL
    for (int r = 0; r < kRows; ++r) {
      LLMRUN_GEMV_UNROLL
      for (int q = 0; q < Fmt::kChunks; ++q)
        chunks[r][q] = dequant::load_chunk(w_row[r] + cuda_layout::chunk_offset(s, q, a.segments));
    }
    float gs[kRows][Fmt::kScales];  // the segment's group scales (unused per-row formats)
    if constexpr (Fmt::kGroupSize > 0) {
      LLMRUN_GEMV_UNROLL
      for (int r = 0; r < kRows; ++r) {
        LLMRUN_GEMV_UNROLL
        for (int i = 0; i < Fmt::kScales; ++i) gs[r][i] = dequant::group_scale(gs_row[r] + Fmt::first_group(s) + i);
      }
    }
    // Whole segment inside the row with aligned x rows: vector x loads, decided once per
    // segment (only a row's last segment or two take the masked path).
    const bool x_vec = s < a.x_vec_segments;
    LLMRUN_GEMV_UNROLL
    for (int g = 0; g < Fmt::kGroups; ++g) {
      float wv[kRows][8];
      LLMRUN_GEMV_UNROLL
      for (int r = 0; r < kRows; ++r) Fmt::decode8(chunks[r], g, wv[r]);
      const int64_t k0 = s * Fmt::kCodes + 8 * g;
      LLMRUN_GEMV_UNROLL
      for (int t = 0; t < kTokens; ++t) {
        if (t >= a.n) break;  // uniform across the warp
        float xv[8];
        load_x8(a.x + t * a.cols, k0, a.cols, x_vec, xv);
        LLMRUN_GEMV_UNROLL
        for (int r = 0; r < kRows; ++r) {
          if constexpr (Fmt::kGroupSize > 0) {
            float part = 0.0f;
            LLMRUN_GEMV_UNROLL
            for (int j = 0; j < 8; ++j) part += wv[r][j] * xv[j];
            acc[t][r] += part * gs[r][Fmt::scale_of(g)];
          } else {
            LLMRUN_GEMV_UNROLL
            for (int j = 0; j < 8; ++j) acc[t][r] += wv[r][j] * xv[j];
          }
        }
      }
    }
  }

  LLMRUN_GEMV_UNROLL
  for (int t = 0; t < kTokens; ++t) {
    LLMRUN_GEMV_UNROLL
    for (int r = 0; r < kRows; ++r) acc[t][r] = warp_sum(acc[t][r]);
  }
  // Lane t * kRows + r writes (token t, row0 + r): compile-time indices, no local memory.
  LLMRUN_GEMV_UNROLL
  for (int t = 0; t < kTokens; ++t) {
    LLMRUN_GEMV_UNROLL
    for (int r = 0; r < kRows; ++r) {
      const int64_t row = row0 + r;
      if (lane != t * kRows + r || t >= a.n || row >= a.rows) continue;
      if (a.partials) {
        a.partials[(int64_t(blockIdx.y) * a.n + t) * a.rows + row] = acc[t][r];
      } else {
        float v = acc[t][r] * a.scales[row];  // the row scale, once
        if (a.bias) v += a.bias[row];
        a.out[t * a.rows + row] = from_f32<Act>(v);
      }
    }
  }
}

// More tokens: more rows per warp, so each x value loaded serves more weights (and the
// accumulators, kTokens * kRows, stay within the registers that avoid spills).
constexpr int rows_per_warp_for(int token_tile) { return token_tile <= 2 ? 2 : 4; }

template <WeightFormat F, typename Act, int kTokens>
void launch_gemv(const GemvArgs<Act>& args, const GemvPlan& plan, Stream stream) {
  const dim3 grid(unsigned((plan.row_warps + kWarps - 1) / kWarps), unsigned(plan.splits));
  launch("gemv", gemv_kernel<F, Act, kTokens, rows_per_warp_for(kTokens)>, grid, dim3(kWarps * 32), 0, stream,
         args);
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

GemvPlan plan_gemv(const DeviceWeight& w, int64_t n, int sm_count) {
  if (n < 1 || n > kGemvMaxTokens) fail(w.name, ": GEMV of ", n, " tokens (1..", kGemvMaxTokens, ")");
  GemvPlan p;
  p.token_tile = n <= 1 ? 1 : n <= 2 ? 2 : n <= 4 ? 4 : 8;
  p.rows_per_warp = rows_per_warp_for(p.token_tile);
  p.row_warps = ceil_div(w.rows, p.rows_per_warp);
  const int64_t steps = ceil_div(w.segments, 32);  // warp steps over a whole row
  const int64_t wanted = ceil_div(int64_t(sm_count > 0 ? sm_count : 1) * kTargetWarpsPerSm,
                                  p.row_warps > 0 ? p.row_warps : 1);
  int64_t splits = wanted;
  if (splits > steps / kMinStepsPerSplit) splits = steps / kMinStepsPerSplit;
  if (splits > kMaxSplits) splits = kMaxSplits;
  if (splits < 1) splits = 1;
  p.segments_per_split = ceil_div(steps, splits) * 32;
  p.splits = int(w.segments > 0 ? ceil_div(w.segments, p.segments_per_split) : 1);
  return p;
}

template <typename Act>
void gemv(const DeviceWeight& w, const Act* x, int64_t n, const float* bias, Act* out, float* partials,
          const GemvPlan& plan, Stream stream) {
  if (n < 1 || n > plan.token_tile || plan.token_tile > kGemvMaxTokens)
    fail(w.name, ": GEMV of ", n, " tokens with a plan for ", plan.token_tile);
  if (plan.rows_per_warp != rows_per_warp_for(plan.token_tile))
    fail(w.name, ": GEMV plan with ", plan.rows_per_warp, " rows per warp for ", plan.token_tile, " tokens");
  if (plan.splits < 1 || plan.segments_per_split % 32 != 0 || plan.splits * plan.segments_per_split < w.segments ||
      plan.row_warps * plan.rows_per_warp < w.rows)
    fail(w.name, ": GEMV plan does not cover the weight");
  if (!w.bytes || !w.scales || !x || (plan.splits > 1 ? !partials : !out) ||
      (cuda_layout::geometry(w.format).group_size > 0 && !w.group_scales))
    fail(w.name, ": GEMV with a null pointer");
  if (reinterpret_cast<uintptr_t>(w.bytes) % 16 != 0 || w.row_bytes % 16 != 0)
    fail(w.name, ": device weight rows are not 16-byte aligned");
  if (w.rows == 0) return;
  const bool x_aligned = reinterpret_cast<uintptr_t>(x) % 16 == 0 && (w.cols * int64_t(sizeof(Act))) % 16 == 0;
  const int64_t codes_per_segment = cuda_layout::geometry(w.format).codes_per_segment;
  GemvArgs<Act> args{w.bytes, w.scales, w.group_scales, w.groups_per_row, w.rows, w.cols, w.row_bytes, w.segments,
                     x, int(n),
                     x_aligned ? w.cols / codes_per_segment : 0,
                     bias, out, plan.splits > 1 ? partials : nullptr, plan.segments_per_split};
  visit_format(w.format, w.name, [&](auto format) {
    constexpr WeightFormat F = decltype(format)::value;
    switch (plan.token_tile) {
      case 1: return launch_gemv<F, Act, 1>(args, plan, stream);
      case 2: return launch_gemv<F, Act, 2>(args, plan, stream);
      case 4: return launch_gemv<F, Act, 4>(args, plan, stream);
      case 8: return launch_gemv<F, Act, 8>(args, plan, stream);
    }
    fail(w.name, ": GEMV token tile ", plan.token_tile);
  });
}

template void gemv<float>(const DeviceWeight&, const float*, int64_t, const float*, float*, float*, const GemvPlan&,
                          Stream);
template void gemv<bf16_t>(const DeviceWeight&, const bf16_t*, int64_t, const float*, bf16_t*, float*,
                           const GemvPlan&, Stream);
template void gemv<f16_t>(const DeviceWeight&, const f16_t*, int64_t, const float*, f16_t*, float*, const GemvPlan&,
                          Stream);

}  // namespace llmrun::LLMRUN_CUDA_NS
