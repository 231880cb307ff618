#include "kernels/cuda/device_compat.cuh"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/warp_reduce.cuh"
#include "runtime/error.h"

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

constexpr int kRowThreads = 256;  // 8 warps per row: enough to stream a row of 2-16K values

// One block per (row, slice): sum of squares in fp32, then scale.
template <typename In, typename Out>
__global__ void __launch_bounds__(kRowThreads) rmsnorm_kernel(const In* __restrict__ x, const float* __restrict__ gain,
                                                              float eps, int64_t cols, int64_t width,
                                                              Out* __restrict__ out) {
  const int64_t slices = cols / width;
  const int64_t row = blockIdx.x / slices, slice = blockIdx.x % slices;
  const In* xs = x + row * cols + slice * width;
  Out* ys = out + row * cols + slice * width;
  float sum_sq = 0.0f;
  for (int64_t i = threadIdx.x; i < width; i += blockDim.x) {
    const float v = to_f32(xs[i]);
    sum_sq += v * v;
  }
  sum_sq = block_sum<kRowThreads>(sum_sq);
  const float inv_rms = 1.0f / sqrtf(sum_sq / float(width) + eps);
  for (int64_t i = threadIdx.x; i < width; i += blockDim.x) ys[i] = from_f32<Out>(to_f32(xs[i]) * inv_rms * gain[i]);
}

template <typename T>
__global__ void rope_kernel(T* __restrict__ x, int64_t cols, int64_t head_dim, const int32_t* __restrict__ positions,
                            const float* __restrict__ inv_freq, float attention_factor) {
  const int64_t half = head_dim / 2, row = blockIdx.y;
  const int64_t pairs = cols / 2;  // (head, i) pairs in the row
  const int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (p >= pairs) return;
  const int64_t head = p / half, i = p % half;
  const float angle = float(positions[row]) * inv_freq[i];
  float s, c;
  sincosf(angle, &s, &c);
  s *= attention_factor, c *= attention_factor;
  T* v = x + row * cols + head * head_dim;
  const float a = to_f32(v[i]), b = to_f32(v[i + half]);
  v[i] = from_f32<T>(a * c - b * s);
  v[i + half] = from_f32<T>(b * c + a * s);
}

template <typename T>
__global__ void __launch_bounds__(kRowThreads) add_rmsnorm_kernel(float* __restrict__ residual,
                                                                  const T* __restrict__ delta,
                                                                  const float* __restrict__ gain, float eps,
                                                                  int64_t cols, T* __restrict__ out) {
  float* res = residual + int64_t(blockIdx.x) * cols;
  const T* d = delta + int64_t(blockIdx.x) * cols;
  T* y = out + int64_t(blockIdx.x) * cols;
  float sum_sq = 0.0f;
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
    const float v = res[i] + to_f32(d[i]);
    res[i] = v;  // read back below by this same thread only
    sum_sq += v * v;
  }
  sum_sq = block_sum<kRowThreads>(sum_sq);
  const float inv_rms = 1.0f / sqrtf(sum_sq / float(cols) + eps);
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) y[i] = from_f32<T>(res[i] * inv_rms * gain[i]);
}

constexpr int kHeadThreads = 128;  // head_dim <= 256: at most 128 rotation pairs per head

// One block per (row, head): each thread holds rotation pairs (i, i + half) in registers
// through the norm's reduction and the rotation.
template <typename T>
__global__ void __launch_bounds__(kHeadThreads) rmsnorm_rope_kernel(T* __restrict__ x, int64_t cols,
                                                                    int64_t head_dim,
                                                                    const float* __restrict__ gain, float eps,
                                                                    const int32_t* __restrict__ positions,
                                                                    const float* __restrict__ inv_freq,
                                                                    float attention_factor) {
  const int64_t heads = cols / head_dim, row = blockIdx.x / heads, head = blockIdx.x % heads;
  const int64_t half = head_dim / 2;
  T* v = x + row * cols + head * head_dim;
  const int64_t i = threadIdx.x;
  float a = 0.0f, b = 0.0f;
  if (i < half) a = to_f32(v[i]), b = to_f32(v[i + half]);
  if (gain) {
    const float sum_sq = block_sum<kHeadThreads>(a * a + b * b);
    const float inv_rms = 1.0f / sqrtf(sum_sq / float(head_dim) + eps);
    if (i < half) a = a * inv_rms * gain[i], b = b * inv_rms * gain[i + half];
  }
  if (i >= half) return;
  const float angle = float(positions[row]) * inv_freq[i];
  float s, c;
  sincosf(angle, &s, &c);
  s *= attention_factor, c *= attention_factor;
  v[i] = from_f32<T>(a * c - b * s);
  v[i + half] = from_f32<T>(b * c + a * s);
}

template <typename X, typename Y>
__global__ void add_kernel(X* __restrict__ x, const Y* __restrict__ y, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    x[i] = from_f32<X>(to_f32(x[i]) + to_f32(y[i]));
}

template <typename T>
__global__ void swiglu_kernel(const T* gate, const T* __restrict__ up, T* out, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float g = to_f32(gate[i]);
    out[i] = from_f32<T>(g / (1.0f + expf(-g)) * to_f32(up[i]));
  }
}

template <typename From, typename To>
__global__ void convert_kernel(const From* __restrict__ in, To* __restrict__ out, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = from_f32<To>(to_f32(in[i]));
}

// One block per row; each thread keeps its best (value, index), then a block reduction
// that prefers the larger value and, on ties, the smaller index.
template <typename T>
__global__ void __launch_bounds__(kRowThreads) argmax_kernel(const T* __restrict__ x, int64_t cols,
                                                             int32_t* __restrict__ out) {
  const T* row = x + int64_t(blockIdx.x) * cols;
  float best = -INFINITY, non_finite = 0.0f;
  int32_t best_index = 0x7fffffff;
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
    const float v = to_f32(row[i]);
    non_finite += v != v || v == INFINITY ? 1.0f : 0.0f;  // -inf stays a valid (masked) logit
    if (v > best) best = v, best_index = int32_t(i);  // strictly greater: the first of equals stays
  }
  non_finite = block_sum<kRowThreads>(non_finite);
  block_argmax<kRowThreads>(best, best_index);
  if (threadIdx.x == 0) out[blockIdx.x] = non_finite > 0.0f ? -1 : best_index == 0x7fffffff ? 0 : best_index;
}

// Grid for the grid-stride elementwise kernels: enough blocks to fill a large GPU, no more.
unsigned elementwise_blocks(int64_t n) {
  const int64_t blocks = (n + kRowThreads - 1) / kRowThreads;
  return unsigned(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

}  // namespace

template <typename In, typename Out>
void rmsnorm(const In* x, const float* gain, float eps, int64_t rows, int64_t cols, int64_t width, Out* out,
             Stream stream) {
  LLMRUN_CHECK(width > 0 && cols % width == 0 && rows >= 0, "rmsnorm: cols ", cols, " width ", width);
  if (rows == 0) return;
  launch("rmsnorm", rmsnorm_kernel<In, Out>, dim3(unsigned(rows * (cols / width))), dim3(kRowThreads), 0, stream, x,
         gain, eps, cols, width, out);
}

template <typename T>
void rope(T* x, int64_t rows, int64_t cols, int64_t head_dim, const int32_t* positions, const float* inv_freq,
          float attention_factor, Stream stream) {
  LLMRUN_CHECK(head_dim % 2 == 0 && cols % head_dim == 0, "rope: cols ", cols, " head_dim ", head_dim);
  LLMRUN_CHECK(rows <= 65535, "rope: ", rows, " rows in one call");
  if (rows == 0) return;
  const int64_t pairs = cols / 2;
  launch("rope", rope_kernel<T>, dim3(unsigned((pairs + 127) / 128), unsigned(rows)), dim3(128), 0, stream, x, cols,
         head_dim, positions, inv_freq, attention_factor);
}

template <typename T>
void add_rmsnorm(float* residual, const T* delta, const float* gain, float eps, int64_t rows, int64_t cols, T* out,
                 Stream stream) {
  if (rows > 0)
    launch("add_rmsnorm", add_rmsnorm_kernel<T>, dim3(unsigned(rows)), dim3(kRowThreads), 0, stream, residual, delta,
           gain, eps, cols, out);
}

template <typename T>
void rmsnorm_rope_heads(T* x, int64_t rows, int64_t cols, int64_t head_dim, const float* gain, float eps,
                        const int32_t* positions, const float* inv_freq, float attention_factor, Stream stream) {
  LLMRUN_CHECK(head_dim % 2 == 0 && head_dim <= 2 * kHeadThreads && cols % head_dim == 0,
               "rmsnorm_rope_heads: cols ", cols, " head_dim ", head_dim);
  if (rows > 0)
    launch("rmsnorm_rope", rmsnorm_rope_kernel<T>, dim3(unsigned(rows * (cols / head_dim))), dim3(kHeadThreads), 0,
           stream, x, cols, head_dim, gain, eps, positions, inv_freq, attention_factor);
}

template <typename X, typename Y>
void add(X* x, const Y* y, int64_t n, Stream stream) {
  if (n > 0) launch("add", add_kernel<X, Y>, dim3(elementwise_blocks(n)), dim3(kRowThreads), 0, stream, x, y, n);
}

template <typename T>
void swiglu(const T* gate, const T* up, T* out, int64_t n, Stream stream) {
  if (n > 0)
    launch("swiglu", swiglu_kernel<T>, dim3(elementwise_blocks(n)), dim3(kRowThreads), 0, stream, gate, up, out, n);
}

template <typename T>
void argmax_rows(const T* x, int64_t rows, int64_t cols, int32_t* out, Stream stream) {
  LLMRUN_CHECK(cols > 0 && cols < 0x7fffffff, "argmax: cols ", cols);
  if (rows > 0) launch("argmax", argmax_kernel<T>, dim3(unsigned(rows)), dim3(kRowThreads), 0, stream, x, cols, out);
}

template <typename From, typename To>
void convert(const From* in, To* out, int64_t n, Stream stream) {
  if (n > 0)
    launch("convert", convert_kernel<From, To>, dim3(elementwise_blocks(n)), dim3(kRowThreads), 0, stream, in, out, n);
}

#define LLMRUN_PAIR(A, B)                                                                       \
  template void rmsnorm<A, B>(const A*, const float*, float, int64_t, int64_t, int64_t, B*, Stream); \
  template void add<A, B>(A*, const B*, int64_t, Stream);                                       \
  template void convert<A, B>(const A*, B*, int64_t, Stream);
#define LLMRUN_ONE(T)                                                                                 \
  LLMRUN_PAIR(T, float)                                                                               \
  LLMRUN_PAIR(T, bf16_t)                                                                              \
  LLMRUN_PAIR(T, f16_t)                                                                               \
  template void rope<T>(T*, int64_t, int64_t, int64_t, const int32_t*, const float*, float, Stream);  \
  template void add_rmsnorm<T>(float*, const T*, const float*, float, int64_t, int64_t, T*, Stream);   \
  template void rmsnorm_rope_heads<T>(T*, int64_t, int64_t, int64_t, const float*, float, const int32_t*, \
                                      const float*, float, Stream);                                   \
  template void swiglu<T>(const T*, const T*, T*, int64_t, Stream);                                   \
  template void argmax_rows<T>(const T*, int64_t, int64_t, int32_t*, Stream);
LLMRUN_ONE(float)
LLMRUN_ONE(bf16_t)
LLMRUN_ONE(f16_t)
#undef LLMRUN_ONE
#undef LLMRUN_PAIR

}  // namespace llmrun::LLMRUN_CUDA_NS
