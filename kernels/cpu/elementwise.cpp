#include "kernels/cpu/elementwise.h"

#include <omp.h>

#include <cmath>

#include "runtime/error.h"

#if LLMRUN_HAVE_SIMD_KERNELS
#include "kernels/cpu/simd/elementwise_simd.h"
#endif

namespace llmrun::cpu {

namespace {
// Below this many values a thread team costs more than the op (decode steps stay serial).
constexpr int64_t kMinParallelValues = int64_t(1) << 15;

bool run_parallel(const CpuTensor& x, int threads) {
  return threads > 1 && x.rows() > 1 && x.rows() * x.cols() >= kMinParallelValues;
}
}  // namespace

void embed(const CpuWeight& table, const std::vector<int32_t>& ids, CpuTensor& out) {
  for (size_t i = 0; i < ids.size(); ++i) table.decode_row(ids[i], out.row(int64_t(i)));
}

void rmsnorm(const CpuTensor& x, const CpuWeight& gain, float eps, int64_t width, CpuTensor& out, int threads) {
  const float* g = gain.as_f32.data();
#pragma omp parallel for num_threads(threads) if (run_parallel(x, threads)) schedule(static)
  for (int64_t r = 0; r < x.rows(); ++r)
    for (int64_t s = 0; s < x.cols(); s += width) {
      const float* xs = x.row(r) + s;
      float* ys = out.row(r) + s;
      float sum_sq = 0.0f;
      for (int64_t i = 0; i < width; ++i) sum_sq += xs[i] * xs[i];
      const float inv_rms = 1.0f / std::sqrt(sum_sq / float(width) + eps);
      for (int64_t i = 0; i < width; ++i) ys[i] = xs[i] * inv_rms * g[i];
    }
}

void rope(CpuTensor& x, int64_t head_dim, const int32_t* positions, const CpuWeight& inv_freq,
          float attention_factor, int threads) {
  const int64_t half = head_dim / 2;
  const float* f = inv_freq.as_f32.data();
#pragma omp parallel num_threads(threads) if (run_parallel(x, threads))
  {
  std::vector<float> cos_t(static_cast<size_t>(half)), sin_t(static_cast<size_t>(half));
#pragma omp for schedule(static)
  for (int64_t r = 0; r < x.rows(); ++r) {
    // The angle is rounded to fp32 before cos/sin, and cos/sin to fp32 before the
    // attention factor multiplies them, as transformers computes them.
    for (int64_t i = 0; i < half; ++i) {
      const float angle = float(positions[r]) * f[i];
      cos_t[size_t(i)] = float(std::cos(double(angle))) * attention_factor;
      sin_t[size_t(i)] = float(std::sin(double(angle))) * attention_factor;
    }
    for (int64_t h = 0; h < x.cols(); h += head_dim) {
      float* v = x.row(r) + h;
      for (int64_t i = 0; i < half; ++i) {
        const float a = v[i], b = v[i + half];
        v[i] = a * cos_t[size_t(i)] - b * sin_t[size_t(i)];
        v[i + half] = b * cos_t[size_t(i)] + a * sin_t[size_t(i)];
      }
    }
  }
  }
}

void swiglu(const CpuTensor& gate, const CpuTensor& up, CpuTensor& out, int threads) {
  swiglu(gate, up, out, threads, best_kernel_isa());
}

void swiglu(const CpuTensor& gate, const CpuTensor& up, CpuTensor& out, int threads, KernelIsa isa) {
  LLMRUN_CHECK(kernel_isa_supported(isa), "swiglu: the ", kernel_isa_name(isa), " kernels need CPU features this ",
               "machine (or this non-x86-64 build) lacks");
  const int64_t cols = gate.cols();
#pragma omp parallel for num_threads(threads) if (run_parallel(gate, threads)) schedule(static)
  for (int64_t r = 0; r < gate.rows(); ++r) {
    const float* g = gate.row(r);
    const float* u = up.row(r);
    float* o = out.row(r);
#if LLMRUN_HAVE_SIMD_KERNELS
    if (isa == KernelIsa::avx512) {
      simd::swiglu_avx512(g, u, o, cols);
      continue;
    }
    if (isa == KernelIsa::avx2) {
      simd::swiglu_avx2(g, u, o, cols);
      continue;
    }
#endif
    for (int64_t i = 0; i < cols; ++i) o[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
  }
}

void add(CpuTensor& x, const CpuTensor& y, int threads) {
  const int64_t n = int64_t(x.data.size());
#pragma omp parallel for num_threads(threads) if (run_parallel(x, threads)) schedule(static)
  for (int64_t i = 0; i < n; ++i) x.data[size_t(i)] += y.data[size_t(i)];
}

}  // namespace llmrun::cpu
