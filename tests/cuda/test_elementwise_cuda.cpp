// The decoder's row-wise and elementwise CUDA kernels against the CPU backend's own
// functions (kernels/cpu/elementwise.cpp), on random inputs already rounded to the
// activation type, over odd sizes; bounds from tests/cuda/conformance.h.
#include <cmath>
#include <cstring>
#include <memory>
#include <tuple>
#include <random>
#include <vector>

#include "kernels/cpu/cpu_tensor.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/elementwise.cuh"
#include "tests/cuda/act_test_support.h"
#include "tests/cuda/conformance.h"
#include "tests/cuda/device_test.h"

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

using testing::ActType;
using testing::act_rounding;
using testing::all_within;
using testing::kTranscendentalUlps;
using testing::kU32;

// Random values already representable in T, so both sides start from the same inputs.
template <typename T>
std::vector<float> random_values(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = to_f32(from_f32<T>(dist(rng)));
  return v;
}

std::unique_ptr<cpu::CpuTensor> cpu_tensor(int64_t rows, int64_t cols, const std::vector<float>& values) {
  auto t = std::make_unique<cpu::CpuTensor>(rows, cols);
  std::copy(values.begin(), values.end(), t->data.begin());
  return t;
}
cpu::CpuWeight cpu_vector(const std::vector<float>& values) {
  HostWeight h;
  h.name = "test.vector";
  h.rows = 1;
  h.cols = int64_t(values.size());
  h.packed.resize(values.size() * sizeof(float));
  std::memcpy(h.packed.data(), values.data(), h.packed.size());
  h.scales = {1.0f};
  return cpu::CpuWeight(h);
}

template <typename T>
class Elementwise : public ::testing::Test {};
using ActTypes = ::testing::Types<float, bf16_t, f16_t>;
TYPED_TEST_SUITE(Elementwise, ActTypes);

TYPED_TEST(Elementwise, RmsNormRowsAndHeads) {
  LLMRUN_REQUIRE_DEVICE();
  using T = TypeParam;
  OwnedStream s;
  for (auto [rows, cols, width] : {std::tuple<int64_t, int64_t, int64_t>{1, 64, 64}, {3, 769, 769}, {5, 5125, 5125},
                                   {4, 8 * 128, 128}, {2, 12 * 96, 96}}) {
    // Residual stream in fp32 (the decoder's rmsnorm input), output in T.
    const std::vector<float> x = random_values<float>(size_t(rows * cols), 1, 3.0f);
    const std::vector<float> gain = random_values<T>(size_t(width), 2);
    DeviceBuffer<float> dx(x.size()), dgain(gain.size());
    DeviceBuffer<T> dout(x.size());
    dx.upload(x, s.get());
    dgain.upload(gain, s.get());
    rmsnorm(dx.data(), dgain.data(), 1e-6f, rows, cols, width, dout.data(), s.get());
    const std::vector<float> got = to_float(dout.download(s.get()));

    auto cx = cpu_tensor(rows, cols, x);
    cpu::CpuTensor cout(rows, cols);
    cpu::rmsnorm(*cx, cpu_vector(gain), 1e-6f, width, cout);
    const std::vector<float> ref(cout.data.begin(), cout.data.end());
    // sum of squares: 2*width*u32 relative (two orders); rsqrt: transcendental ulps;
    // then the output's rounding.
    std::vector<double> bound(ref.size());
    for (size_t i = 0; i < ref.size(); ++i)
      bound[i] = act_rounding(act_of<T>(), ref[i]) + (double(width) + kTranscendentalUlps + 3) * kU32 * std::fabs(ref[i]);
    EXPECT_TRUE(all_within(got, ref, bound, "rmsnorm")) << rows << "x" << cols << "/" << width;
  }
}

TYPED_TEST(Elementwise, RopeAtScatteredPositions) {
  LLMRUN_REQUIRE_DEVICE();
  using T = TypeParam;
  OwnedStream s;
  for (int64_t head_dim : {64, 128, 96}) {
    const int64_t rows = 5, heads = 3, cols = heads * head_dim;
    const std::vector<float> x = random_values<T>(size_t(rows * cols), 3);
    std::vector<float> inv_freq(size_t(head_dim / 2));
    for (size_t i = 0; i < inv_freq.size(); ++i) inv_freq[i] = float(std::pow(1e6, -2.0 * double(i) / double(head_dim)));
    const std::vector<int32_t> positions = {0, 1, 17, 4096, 40000};
    DeviceBuffer<T> dx(x.size());
    DeviceBuffer<float> dfreq(inv_freq.size());
    DeviceBuffer<int32_t> dpos(positions.size());
    dx.upload(to_act<T>(x), s.get());
    dfreq.upload(inv_freq, s.get());
    dpos.upload(positions, s.get());
    // yarn's attention factor scales cos and sin (1 for other RoPE types).
    const float attention_factor = head_dim == 96 ? 1.2079442f : 1.0f;
    rope(dx.data(), rows, cols, head_dim, dpos.data(), dfreq.data(), attention_factor, s.get());
    const std::vector<float> got = to_float(dx.download(s.get()));

    auto cx = cpu_tensor(rows, cols, x);
    cpu::rope(*cx, head_dim, positions.data(), cpu_vector(inv_freq), attention_factor);
    const std::vector<float> ref(cx->data.begin(), cx->data.end());
    // cos/sin of the same fp32 angle: the CPU rounds double results, the GPU's sincosf is
    // within 2 ulps (ulp of 1 = 2^-23 = 2 u32) for |angle| up to ~1e5 per CUDA's tables. Each
    // output is a*c - b*s with |a|,|b| <= max|x|: error <= 2 * (4 u32) * max(|a|,|b|) + rounding,
    // times the attention factor, plus one u32 for rounding c and s after it multiplies them.
    std::vector<double> bound(ref.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t h = c / head_dim * head_dim, i = c % head_dim % (head_dim / 2);
        const double a = std::fabs(x[size_t(r * cols + h + i)]), b = std::fabs(x[size_t(r * cols + h + i + head_dim / 2)]);
        const size_t k = size_t(r * cols + c);
        bound[k] = act_rounding(act_of<T>(), ref[k]) + ((8 * kTranscendentalUlps + 1) * kU32) * (a + b) * attention_factor;
      }
    EXPECT_TRUE(all_within(got, ref, bound, "rope")) << "head_dim " << head_dim;
  }
}

// residual (fp32) += delta (T), then rmsnorm of the new residual: the residual must equal
// the CPU's add exactly (one fp32 add) and the output the CPU's rmsnorm within its bound.
TYPED_TEST(Elementwise, FusedAddRmsNorm) {
  LLMRUN_REQUIRE_DEVICE();
  using T = TypeParam;
  OwnedStream s;
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 64}, {3, 769}, {2, 5125}}) {
    const std::vector<float> residual = random_values<float>(size_t(rows * cols), 11, 3.0f);
    const std::vector<float> delta = random_values<T>(size_t(rows * cols), 12);
    const std::vector<float> gain = random_values<T>(size_t(cols), 13);
    DeviceBuffer<float> dres(residual.size()), dgain(gain.size());
    DeviceBuffer<T> ddelta(delta.size()), dout(delta.size());
    dres.upload(residual, s.get());
    ddelta.upload(to_act<T>(delta), s.get());
    dgain.upload(gain, s.get());
    add_rmsnorm(dres.data(), ddelta.data(), dgain.data(), 1e-6f, rows, cols, dout.data(), s.get());
    const std::vector<float> got_res = dres.download(s.get()), got = to_float(dout.download(s.get()));

    auto cres = cpu_tensor(rows, cols, residual), cdelta = cpu_tensor(rows, cols, delta);
    cpu::CpuTensor cout(rows, cols);
    cpu::add(*cres, *cdelta);
    cpu::rmsnorm(*cres, cpu_vector(gain), 1e-6f, cols, cout);
    for (size_t i = 0; i < got_res.size(); ++i) ASSERT_EQ(got_res[i], cres->data[i]) << i;
    std::vector<double> bound(got.size());
    for (size_t i = 0; i < bound.size(); ++i)
      bound[i] = act_rounding(act_of<T>(), cout.data[i]) + (double(cols) + kTranscendentalUlps + 3) * kU32 * std::fabs(cout.data[i]);
    EXPECT_TRUE(all_within(got, std::vector<float>(cout.data.begin(), cout.data.end()), bound, "add_rmsnorm"))
        << rows << "x" << cols;
  }
}

// Per-head RMSNorm then RoPE in one kernel (Qwen3), and RoPE alone (no gain), against the
// CPU's rmsnorm (width head_dim) followed by rope.
TYPED_TEST(Elementwise, FusedHeadNormAndRope) {
  LLMRUN_REQUIRE_DEVICE();
  using T = TypeParam;
  OwnedStream s;
  for (int64_t head_dim : {64, 128, 96, 256}) {
    for (bool with_norm : {true, false}) {
      const int64_t rows = 4, heads = 3, cols = heads * head_dim;
      const std::vector<float> x = random_values<T>(size_t(rows * cols), 14, 2.0f);
      const std::vector<float> gain = random_values<T>(size_t(head_dim), 15);
      std::vector<float> inv_freq(size_t(head_dim / 2));
      for (size_t i = 0; i < inv_freq.size(); ++i) inv_freq[i] = float(std::pow(1e6, -2.0 * double(i) / double(head_dim)));
      const std::vector<int32_t> positions = {0, 5, 4095, 40000};
      DeviceBuffer<T> dx(x.size());
      DeviceBuffer<float> dgain(gain.size()), dfreq(inv_freq.size());
      DeviceBuffer<int32_t> dpos(positions.size());
      dx.upload(to_act<T>(x), s.get());
      dgain.upload(gain, s.get());
      dfreq.upload(inv_freq, s.get());
      dpos.upload(positions, s.get());
      const float attention_factor = with_norm ? 1.0f : 1.2079442f;  // yarn's, on the unnormed runs
      rmsnorm_rope_heads(dx.data(), rows, cols, head_dim, with_norm ? dgain.data() : nullptr, 1e-6f, dpos.data(),
                         dfreq.data(), attention_factor, s.get());
      const std::vector<float> got = to_float(dx.download(s.get()));

      auto cx = cpu_tensor(rows, cols, x);
      if (with_norm) cpu::rmsnorm(*cx, cpu_vector(gain), 1e-6f, head_dim, *cx);
      const std::vector<float> normed(cx->data.begin(), cx->data.end());
      cpu::rope(*cx, head_dim, positions.data(), cpu_vector(inv_freq), attention_factor);
      const std::vector<float> ref(cx->data.begin(), cx->data.end());
      // The norm's bound (as above) on both rotated inputs, then rope's (see RopeAtScatteredPositions).
      std::vector<double> bound(ref.size());
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          const int64_t h = c / head_dim * head_dim, i = c % head_dim % (head_dim / 2);
          const double a = std::fabs(normed[size_t(r * cols + h + i)]), b = std::fabs(normed[size_t(r * cols + h + i + head_dim / 2)]);
          const size_t k = size_t(r * cols + c);
          const double norm_err = with_norm ? (double(head_dim) + kTranscendentalUlps + 3) * kU32 * (a + b) : 0.0;
          bound[k] = act_rounding(act_of<T>(), ref[k]) +
                     ((8 * kTranscendentalUlps + 1) * kU32) * (a + b) * attention_factor + norm_err;
        }
      EXPECT_TRUE(all_within(got, ref, bound, "rmsnorm_rope_heads")) << "head_dim " << head_dim << " norm " << with_norm;
    }
  }
}

TYPED_TEST(Elementwise, SwigluAndResidualAdd) {
  LLMRUN_REQUIRE_DEVICE();
  using T = TypeParam;
  OwnedStream s;
  const int64_t n = 5125 * 3;
  const std::vector<float> gate = random_values<T>(size_t(n), 4, 4.0f), up = random_values<T>(size_t(n), 5);
  DeviceBuffer<T> dgate(static_cast<size_t>(n)), dup(static_cast<size_t>(n));
  dgate.upload(to_act<T>(gate), s.get());
  dup.upload(to_act<T>(up), s.get());
  swiglu(dgate.data(), dup.data(), dgate.data(), n, s.get());  // in place, as the decoder runs it
  const std::vector<float> got = to_float(dgate.download(s.get()));
  auto cg = cpu_tensor(1, n, gate), cu = cpu_tensor(1, n, up);
  cpu::CpuTensor co(1, n);
  cpu::swiglu(*cg, *cu, co);
  std::vector<double> bound(static_cast<size_t>(n));
  for (size_t i = 0; i < bound.size(); ++i)
    bound[i] = act_rounding(act_of<T>(), co.data[i]) + (kTranscendentalUlps + 4) * kU32 * std::fabs(co.data[i]);
  EXPECT_TRUE(all_within(got, std::vector<float>(co.data.begin(), co.data.end()), bound, "swiglu"));

  // residual (fp32) += block output (T): one fp32 add, exact to the CPU's.
  const std::vector<float> residual = random_values<float>(size_t(n), 6, 10.0f);
  DeviceBuffer<float> dres(static_cast<size_t>(n));
  dres.upload(residual, s.get());
  add(dres.data(), dup.data(), n, s.get());
  const std::vector<float> sum = dres.download(s.get());
  for (size_t i = 0; i < sum.size(); ++i) ASSERT_EQ(sum[i], residual[i] + up[i]) << i;
}

TYPED_TEST(Elementwise, ArgmaxTakesTheFirstLargestAndRefusesBrokenRows) {
  LLMRUN_REQUIRE_DEVICE();
  using T = TypeParam;
  OwnedStream s;
  const int64_t rows = 6, cols = 151936;
  std::vector<float> x = random_values<T>(size_t(rows * cols), 7);
  const float big = to_f32(from_f32<T>(100.0f));
  x[size_t(0 * cols + 5)] = big;  // row 0: a single maximum near the start
  x[size_t(1 * cols + 151935)] = big;  // row 1: at the very end
  x[size_t(2 * cols + 70000)] = big, x[size_t(2 * cols + 9)] = big, x[size_t(2 * cols + 140000)] = big;  // ties
  // Broken rows give -1 (the caller reports them): a NaN anywhere, +inf anywhere; -inf is a
  // masked logit and never wins.
  x[size_t(3 * cols + 3)] = std::nanf(""), x[size_t(3 * cols + 4)] = big;
  x[size_t(4 * cols + 150000)] = INFINITY;
  x[size_t(5 * cols + 0)] = -INFINITY, x[size_t(5 * cols + 1)] = -INFINITY, x[size_t(5 * cols + 2)] = big;
  DeviceBuffer<T> dx(x.size());
  DeviceBuffer<int32_t> dout(static_cast<size_t>(rows));
  dx.upload(to_act<T>(x), s.get());
  argmax_rows(dx.data(), rows, cols, dout.data(), s.get());
  EXPECT_EQ(dout.download(s.get()), (std::vector<int32_t>{5, 151935, 9, -1, -1, 2}));
}

}  // namespace
}  // namespace llmrun::LLMRUN_CUDA_NS
