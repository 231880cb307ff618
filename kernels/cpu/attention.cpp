#include "kernels/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/dot.h"

namespace llmrun::cpu {

void attention(const CpuTensor& q, const CpuTensor& k, const CpuTensor& v, CpuKvStorage& cache,
               int64_t layer, int64_t start_pos, const AttentionShape& shape, CpuTensor& out,
               int threads) {
  const int64_t n = q.rows(), d = shape.head_dim;
  const int64_t group = shape.n_heads / shape.n_kv_heads;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t h = 0; h < shape.n_kv_heads; ++h) {
      std::memcpy(cache.k(layer, h, start_pos + i), k.row(i) + h * d, size_t(d) * sizeof(float));
      std::memcpy(cache.v(layer, h, start_pos + i), v.row(i) + h * d, size_t(d) * sizeof(float));
    }
  const float scale = 1.0f / std::sqrt(float(d));
  const int64_t total = start_pos + n;
  // Small problems run on one thread: a team costs more than it saves there.
  const bool parallel = n * shape.n_heads * total * d >= (int64_t(1) << 18);
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

}  // namespace llmrun::cpu
