#pragma once
// Rows of a weight decoded to an activation type: the embedding gather of every format
// (ids from a device array, scale applied) and the prefill path's dequantization of W
// (all rows, scale left to the GEMM epilogue). Plain C++: the launcher only.
#include <cstdint>

#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/device_weight.h"
#include "kernels/cuda/stream.h"

namespace llmrun::LLMRUN_CUDA_NS {

// out[i, c] (ld ld_out) = Out(v) for c < w.cols, i < n, where v = decode(W[row_i, c]), times
// the row's device scale when apply_scale (then exactly the codec's decode_row value before
// rounding to Out), else the code's value * 2^-fold_log2 (weight_layout.h); a group-scaled
// format's values always carry their group scales (the GEMM epilogue cannot apply them),
// so only the row scale is left out. row_i = ids[i]
// (device int32 [n]) or i when ids is null. Columns >= cols are not written. An id outside
// [0, w.rows) gives a row of NaN (kernels cannot throw; the backend checks ids first).
// Out = float, bf16_t or f16_t. Throws llmrun::Error naming the weight on bad arguments.
template <typename Out>
void dequant_rows(const DeviceWeight& w, const int32_t* ids, int64_t n, bool apply_scale, Out* out, int64_t ld_out,
                  Stream stream);

}  // namespace llmrun::LLMRUN_CUDA_NS
