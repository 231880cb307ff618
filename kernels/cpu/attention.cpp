#include "kernels/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/cpu/dot.h"
#include "runtime/error.h"
#if LLMRUN_HAVE_SIMD_KERNELS
#include "kernels/cpu/simd/attention_simd.h"
#endif

namespace llmrun::cpu {
namespace {

// The reference: one query row and head at a time, scalar softmax.
void attention_scalar(const CpuTensor& q, CpuKvStorage& cache, int64_t layer, int64_t start_pos,
                      const AttentionShape& shape, CpuTensor& out, int threads, bool parallel) {
  const int64_t n = q.rows(), d = shape.head_dim;
  const int64_t group = shape.n_heads / shape.n_kv_heads;
  const float scale = 1.0f / std::sqrt(float(d));
  const int64_t total = start_pos + n;
#pragma omp parallel num_threads(threads) if (parallel)
  {
    std::vector<float> scores(static_cast<size_t>(total));  // [visible positions] fp32
#pragma omp for collapse(2) schedule(static)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t h = 0; h < shape.n_heads; ++h) {
        const int64_t kvh = h / group, visible = start_pos + i + 1;
        const float* qh = q.row(i) + h * d;
        float max_score = -INFINITY;
        for (int64_t j = 0; j < visible; ++j) {
          scores[size_t(j)] = dot_f32(qh, cache.k(layer, kvh, j), d) * scale;
          max_score = std::max(max_score, scores[size_t(j)]);
        }
        float sum = 0.0f;
        for (int64_t j = 0; j < visible; ++j) {
          scores[size_t(j)] = std::exp(scores[size_t(j)] - max_score);
          sum += scores[size_t(j)];
        }
        float* oh = out.row(i) + h * d;
        std::fill(oh, oh + d, 0.0f);
        const float inv_sum = 1.0f / sum;
        for (int64_t j = 0; j < visible; ++j) {
          const float p = scores[size_t(j)] * inv_sum;
          const float* vj = cache.v(layer, kvh, j);
          for (int64_t e = 0; e < d; ++e) oh[e] += p * vj[e];
        }
      }
  }
}

}  // namespace

KernelIsa attention_isa(int64_t head_dim, KernelIsa widest) {
  for (KernelIsa isa : {KernelIsa::avx512, KernelIsa::avx2})
    if (kernel_isa_lanes(isa) <= kernel_isa_lanes(widest) && kernel_isa_supported(isa) &&
        head_dim % kernel_isa_lanes(isa) == 0)
      return isa;
  return KernelIsa::scalar;
}

void attention(const CpuTensor& q, const CpuTensor& k, const CpuTensor& v, CpuKvStorage& cache,
               int64_t layer, int64_t start_pos, const AttentionShape& shape, CpuTensor& out,
               int threads) {
  attention(q, k, v, cache, layer, start_pos, shape, out, threads, attention_isa(shape.head_dim));
}

void attention(const CpuTensor& q, const CpuTensor& k, const CpuTensor& v, CpuKvStorage& cache,
               int64_t layer, int64_t start_pos, const AttentionShape& shape, CpuTensor& out,
               int threads, KernelIsa isa) {
  const int64_t n = q.rows(), d = shape.head_dim;
  LLMRUN_CHECK(kernel_isa_supported(isa) && d % kernel_isa_lanes(isa) == 0, "attention: the ", kernel_isa_name(isa),
               " kernels cannot run head_dim ", d, " here");
  for (int64_t i = 0; i < n; ++i)
    for (int64_t h = 0; h < shape.n_kv_heads; ++h) {
      std::memcpy(cache.k(layer, h, start_pos + i), k.row(i) + h * d, size_t(d) * sizeof(float));
      std::memcpy(cache.v(layer, h, start_pos + i), v.row(i) + h * d, size_t(d) * sizeof(float));
    }
  const int64_t total = start_pos + n;
  // Small problems run on one thread: a team costs more than it saves there.
  const bool parallel = n * shape.n_heads * total * d >= (int64_t(1) << 18);
  if (isa == KernelIsa::scalar) return attention_scalar(q, cache, layer, start_pos, shape, out, threads, parallel);
#if LLMRUN_HAVE_SIMD_KERNELS
  simd::AttentionProblem p;
  p.q = q.row(0);
  p.out = out.row(0);
  p.q_stride = q.cols();
  p.out_stride = out.cols();
  p.keys = cache.k(layer, 0, 0);
  p.values = cache.v(layer, 0, 0);
  p.head_stride = shape.n_kv_heads > 1 ? cache.k(layer, 1, 0) - cache.k(layer, 0, 0) : 0;
  p.n = n;
  p.start_pos = start_pos;
  p.n_heads = shape.n_heads;
  p.n_kv_heads = shape.n_kv_heads;
  p.d = d;
  p.scale = 1.0f / std::sqrt(float(d));
  p.threads = threads;
  p.parallel = parallel;
  // Uninitialized on purpose: the kernels write before they read.
  const int64_t scratch_floats =
      simd::attention_scratch_floats(start_pos, n, shape.n_heads, shape.n_kv_heads, d, threads);
  std::unique_ptr<float[]> scratch(new float[size_t(scratch_floats)]);
  p.scratch = scratch.get();
  if (isa == KernelIsa::avx512)
    simd::attention_avx512(p);
  else
    simd::attention_avx2(p);
#endif
}

}  // namespace llmrun::cpu
