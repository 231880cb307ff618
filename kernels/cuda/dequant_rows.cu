// dequant_rows: one thread per (output row, segment), grid-stride.
#include "kernels/cuda/device_compat.cuh"
#include "kernels/cuda/dequant_rows.cuh"

#include "kernels/cuda/dequant.cuh"
#include "kernels/cuda/launch.cuh"

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t(1) << 20;

template <WeightFormat F, typename Out>
__global__ void __launch_bounds__(kThreads)
    dequant_rows_kernel(const uint8_t* __restrict__ w,     // [rows, row_bytes] device layout
                        const float* __restrict__ scales,  // [rows]
                        const uint16_t* __restrict__ group_scales,  // [rows, groups_per_row] or null
                        int64_t groups_per_row, int64_t rows, int64_t cols, int64_t row_bytes, int64_t segments,
                        const int32_t* __restrict__ ids,  // [n] or null
                        int64_t n, bool apply_scale,
                        Out* __restrict__ out,  // [n, ld_out]
                        int64_t ld_out) {
  using Fmt = dequant::Format<F>;
  const int64_t total = n * segments;
  for (int64_t item = int64_t(blockIdx.x) * kThreads + threadIdx.x; item < total;
       item += int64_t(gridDim.x) * kThreads) {
    const int64_t i = item / segments, s = item % segments;
    const int64_t row = ids ? int64_t(ids[i]) : i;
    Out* dst = out + i * ld_out + s * Fmt::kCodes;
    const int64_t valid = cols - s * Fmt::kCodes;  // codes of this segment inside the row
    if (row < 0 || row >= rows) {
      for (int j = 0; j < Fmt::kCodes && j < valid; ++j) dst[j] = from_f32<Out>(__uint_as_float(0x7fc00000u));
      continue;
    }
    dequant::Chunk16 chunks[Fmt::kChunks];
    for (int q = 0; q < Fmt::kChunks; ++q)
      chunks[q] = dequant::load_chunk(w + row * row_bytes + cuda_layout::chunk_offset(s, q, segments));
    const float scale = apply_scale ? scales[row] : 1.0f;
    for (int g = 0; g < Fmt::kGroups; ++g) {
      float v[8];
      Fmt::decode8(chunks, g, v);
      // A group scale times a code is exact in fp32 (at most 8 + 11 significant bits).
      const float gs = Fmt::kGroupSize > 0
                           ? dequant::group_scale(group_scales + row * groups_per_row + Fmt::first_group(s) +
                                                  Fmt::scale_of(g))
                           : 1.0f;
      for (int j = 0; j < 8; ++j)
        if (8 * g + j < valid) dst[8 * g + j] = from_f32<Out>(v[j] * gs * scale);
    }
  }
}

}  // namespace

template <typename Out>
void dequant_rows(const DeviceWeight& w, const int32_t* ids, int64_t n, bool apply_scale, Out* out, int64_t ld_out,
                  Stream stream) {
  if (n < 0 || ld_out < w.cols) fail(w.name, ": dequant_rows n=", n, " ld_out=", ld_out, " cols=", w.cols);
  if (n == 0 || w.cols == 0) return;
  if (!out || !w.bytes || !w.scales || (cuda_layout::geometry(w.format).group_size > 0 && !w.group_scales))
    fail(w.name, ": dequant_rows with a null pointer");
  if (!ids && n > w.rows) fail(w.name, ": dequant_rows of ", n, " rows from a weight of ", w.rows);
  const int64_t total = n * w.segments;
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  visit_format(w.format, w.name, [&](auto format) {
    launch("dequant_rows", dequant_rows_kernel<decltype(format)::value, Out>,
           dim3(unsigned(blocks < kMaxBlocks ? blocks : kMaxBlocks)), dim3(kThreads), 0, stream, w.bytes, w.scales,
           w.group_scales, w.groups_per_row, w.rows, w.cols, w.row_bytes, w.segments, ids, n, apply_scale, out, ld_out);
  });
}

template void dequant_rows<float>(const DeviceWeight&, const int32_t*, int64_t, bool, float*, int64_t, Stream);
template void dequant_rows<bf16_t>(const DeviceWeight&, const int32_t*, int64_t, bool, bf16_t*, int64_t, Stream);
template void dequant_rows<f16_t>(const DeviceWeight&, const int32_t*, int64_t, bool, f16_t*, int64_t, Stream);

}  // namespace llmrun::LLMRUN_CUDA_NS
