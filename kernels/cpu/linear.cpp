#include "kernels/cpu/linear.h"

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include "kernels/cpu/dot.h"
#include "kernels/quant/fp6_e2m3.h"
#include "kernels/quant/fp6_e3m2.h"
#include "kernels/quant/fp8_e4m3.h"
#include "runtime/error.h"

#if LLMRUN_HAVE_SIMD_KERNELS
#include "kernels/cpu/simd/linear_simd.h"
#endif

namespace llmrun::cpu {

namespace {
constexpr int64_t kTileRows = 16;
// Below this many multiply-adds a thread team costs more than it saves (and under
// oversubscription, e.g. parallel ctest, waiting threads can cost far more).
constexpr int64_t kMinParallelWork = int64_t(1) << 18;

bool run_parallel(int64_t n, int64_t m, int64_t k, int threads) {
  return threads > 1 && n * m * k >= kMinParallelWork;
}

// The reference: decode a tile of W rows to fp32 (scale applied) and take an fp32 dot
// per (token, row); each tile serves every token, so a prefill of n tokens reads W once.
void linear_scalar(const CpuTensor& x, const CpuWeight& w, const CpuWeight* bias, CpuTensor& out,
                   int threads) {
  const int64_t n = x.rows(), k = w.cols(), m = w.rows();
  const int64_t tiles = (m + kTileRows - 1) / kTileRows;
#pragma omp parallel num_threads(threads) if (run_parallel(n, m, k, threads))
  {
    std::vector<float> tile(size_t(kTileRows * k));  // [kTileRows, k] decoded weights
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tiles; ++t) {
      const int64_t r0 = t * kTileRows, r1 = std::min(m, r0 + kTileRows);
      for (int64_t r = r0; r < r1; ++r)
        w.decode_row(r, tile.data() + (r - r0) * k);
      for (int64_t i = 0; i < n; ++i) {
        const float* xi = x.row(i);
        float* oi = out.row(i);
        for (int64_t r = r0; r < r1; ++r) {
          float v = dot_f32(tile.data() + (r - r0) * k, xi, k);
          oi[r] = bias ? v + bias->as_f32[size_t(r)] : v;
        }
      }
    }
  }
}

#if LLMRUN_HAVE_SIMD_KERNELS
// Unscaled code values, built once (read-only afterwards) for the table-decode variant.
const float* fp8_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int c = 0; c < 256; ++c) t[size_t(c)] = quant::fp8_e4m3_to_f32(uint8_t(c));
    return t;
  }();
  return table.data();
}
const float* fp6_table(WeightFormat format) {
  static const std::array<float, 64> e3m2 = [] {
    std::array<float, 64> t{};
    for (int c = 0; c < 64; ++c) t[size_t(c)] = quant::fp6_e3m2_to_f32(uint8_t(c));
    return t;
  }();
  static const std::array<float, 64> e2m3 = [] {
    std::array<float, 64> t{};
    for (int c = 0; c < 64; ++c) t[size_t(c)] = quant::fp6_e2m3_to_f32(uint8_t(c));
    return t;
  }();
  return format == WeightFormat::fp6_e2m3 ? e2m3.data() : e3m2.data();
}

void linear_simd(const CpuTensor& x, const CpuWeight& w, const CpuWeight* bias, CpuTensor& out,
                 int threads, KernelIsa isa, MinifloatDecode decode) {
  simd::LinearProblem p;
  p.x = x.data.data();
  p.n = x.rows();
  p.k = w.cols();
  p.m = w.rows();
  p.w = w.packed.data();
  p.row_bytes = w.row_bytes;
  p.scales = w.scales.data();
  p.codes_codec = w.codes_codec;
  p.group_scales = w.group_scales.empty() ? nullptr : w.group_scales.data();
  p.groups_per_row = w.groups_per_row;
  p.bias = bias ? bias->as_f32.data() : nullptr;
  p.out = out.data.data();
  p.codec = &codec(w.format());
  p.threads = threads;
  p.parallel = run_parallel(p.n, p.m, p.k, threads);
  p.lut_decode = decode == MinifloatDecode::lut;
  p.fp8_table = fp8_table();
  p.fp6_table = fp6_table(w.format());
  // Uninitialized on purpose: the kernels write before they read.
  std::unique_ptr<float[]> scratch(new float[size_t(simd::simd_scratch_floats(*p.codec, p.n, p.k, threads, isa == KernelIsa::avx512))]);
  p.scratch = scratch.get();
  if (isa == KernelIsa::avx512)
    simd::linear_avx512(p);
  else
    simd::linear_avx2(p);
}
#endif

}  // namespace

const char* kernel_isa_name(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::scalar: return "scalar";
    case KernelIsa::avx2: return "avx2";
    case KernelIsa::avx512: return "avx512";
  }
  return "unknown";
}

int64_t kernel_isa_lanes(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::scalar: return 1;
    case KernelIsa::avx2: return 8;
    case KernelIsa::avx512: return 16;
  }
  return 1;
}

bool kernel_isa_supported(KernelIsa isa) {
#if LLMRUN_HAVE_SIMD_KERNELS
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                    __builtin_cpu_supports("f16c");
  switch (isa) {
    case KernelIsa::scalar: return true;
    case KernelIsa::avx2: return avx2;
    case KernelIsa::avx512:
      return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi");
  }
  return false;
#else
  return isa == KernelIsa::scalar;
#endif
}

KernelIsa best_kernel_isa() {
  for (KernelIsa isa : {KernelIsa::avx512, KernelIsa::avx2})
    if (kernel_isa_supported(isa)) return isa;
  return KernelIsa::scalar;
}

KernelIsa linear_isa(WeightFormat format, KernelIsa family) {
#if LLMRUN_HAVE_SIMD_KERNELS
  // A format added to the codec table before it has a SIMD decoder runs the reference.
  if (!simd::simd_handles(format)) return KernelIsa::scalar;
#else
  (void)format;
#endif
  return family;
}

void linear(const CpuTensor& x, const CpuWeight& w, const CpuWeight* bias, CpuTensor& out,
            int threads) {
  linear(x, w, bias, out, threads, linear_isa(w.format(), best_kernel_isa()));
}

void linear(const CpuTensor& x, const CpuWeight& w, const CpuWeight* bias, CpuTensor& out,
            int threads, KernelIsa isa, MinifloatDecode decode) {
  LLMRUN_CHECK(x.cols() == w.cols() && out.rows() == x.rows() && out.cols() == w.rows(), w.name(),
               ": x [", x.rows(), ",", x.cols(), "] out [", out.rows(), ",", out.cols(), "]");
  LLMRUN_CHECK(threads >= 1, w.name(), ": threads ", threads);
  if (x.rows() == 0 || w.rows() == 0) return;
  if (isa == KernelIsa::scalar) return linear_scalar(x, w, bias, out, threads);
  if (!kernel_isa_supported(isa))
    fail(w.name(), ": the ", kernel_isa_name(isa), " linear kernels need CPU features this ",
         "machine (or this non-x86-64 build) lacks");
#if LLMRUN_HAVE_SIMD_KERNELS
  if (!simd::simd_handles(w.format()))
    fail(w.name(), ": no ", kernel_isa_name(isa), " linear kernel for format ", format_name(w.format()));
  linear_simd(x, w, bias, out, threads, isa, decode);
#else
  (void)decode;
#endif
}

}  // namespace llmrun::cpu
