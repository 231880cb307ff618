#include "kernels/cpu/linear.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/dot.h"

namespace llmrun::cpu {

namespace {
constexpr int64_t kTileRows = 16;
// Below this many multiply-adds a thread team costs more than it saves (and under
// oversubscription, e.g. parallel ctest, waiting threads can cost far more).
constexpr int64_t kMinParallelWork = int64_t(1) << 18;
}

void linear(const CpuTensor& x, const CpuWeight& w, const CpuWeight* bias, CpuTensor& out,
            int threads) {
  const CodecRecord& c = codec(w.format());
  const int64_t n = x.rows(), k = w.cols(), m = w.rows();
  const int64_t tiles = (m + kTileRows - 1) / kTileRows;
#pragma omp parallel num_threads(threads) if (n * m * k >= kMinParallelWork)
  {
    std::vector<float> tile(size_t(kTileRows * k));  // [kTileRows, k] decoded weights
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tiles; ++t) {
      const int64_t r0 = t * kTileRows, r1 = std::min(m, r0 + kTileRows);
      for (int64_t r = r0; r < r1; ++r)
        c.decode_row(w.row(r), w.scales[size_t(r)], k, tile.data() + (r - r0) * k);
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

}  // namespace llmrun::cpu
