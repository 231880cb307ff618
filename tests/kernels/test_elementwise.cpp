// The CPU backend's row-wise and elementwise ops (rmsnorm, rope, swiglu, add): each against
// its formula in double precision, and the same bits for any thread count (rows and values
// are split between threads, never one value's computation).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "kernels/cpu/elementwise.h"

namespace llmrun::cpu {
namespace {

// 96 x 1024 values: above the threaded ops' threshold (2^15 values).
constexpr int64_t kRows = 96, kCols = 1024, kHeadDim = 64;

std::unique_ptr<CpuTensor> random_tensor(int64_t rows, int64_t cols, std::mt19937& rng, float spread = 3.0f) {
  std::uniform_real_distribution<float> u(-spread, spread);
  auto t = std::make_unique<CpuTensor>(rows, cols);
  for (float& f : t->data) f = u(rng);
  return t;
}

std::unique_ptr<CpuWeight> f32_vector(const std::vector<float>& v, const char* name) {
  HostWeight h;
  h.name = name;
  h.format = WeightFormat::f32;
  h.rows = 1;
  h.cols = int64_t(v.size());
  h.packed.resize(v.size() * sizeof(float));
  std::memcpy(h.packed.data(), v.data(), h.packed.size());
  h.scales = {1.0f};
  return std::make_unique<CpuWeight>(h);
}

std::unique_ptr<CpuTensor> copy_of(const CpuTensor& t) {
  auto c = std::make_unique<CpuTensor>(t.rows(), t.cols());
  std::copy(t.data.begin(), t.data.end(), c->data.begin());
  return c;
}

void expect_same_bits(const CpuTensor& a, const CpuTensor& b, const char* op) {
  ASSERT_EQ(a.data.size(), b.data.size()) << op;
  EXPECT_EQ(0, std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float))) << op;
}

// |got - want| <= tol * (|want| + 1e-3), and got finite (a NaN fails the comparison).
void expect_close(const CpuTensor& got, const std::vector<double>& want, double tol, const char* op) {
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = got.data[i];
    ASSERT_TRUE(std::isfinite(g) && std::fabs(g - want[i]) <= tol * (std::fabs(want[i]) + 1e-3))
        << op << " value " << i << ": " << g << " want " << want[i];
  }
}

TEST(Elementwise, RmsnormMatchesDoubleAndThreads) {
  std::mt19937 rng(1);
  auto x = random_tensor(kRows, kCols, rng);
  std::vector<float> g(static_cast<size_t>(kHeadDim));
  for (size_t i = 0; i < g.size(); ++i) g[i] = 0.5f + 0.01f * float(i);
  auto gain = f32_vector(g, "gain");
  CpuTensor one(kRows, kCols), two(kRows, kCols);
  rmsnorm(*x, *gain, 1e-6f, kHeadDim, one, 1);
  rmsnorm(*x, *gain, 1e-6f, kHeadDim, two, 2);
  expect_same_bits(one, two, "rmsnorm");
  std::vector<double> want(x->data.size());
  for (int64_t r = 0; r < kRows; ++r)
    for (int64_t s = 0; s < kCols; s += kHeadDim) {
      double sq = 0;
      for (int64_t i = 0; i < kHeadDim; ++i) sq += double(x->row(r)[s + i]) * x->row(r)[s + i];
      const double inv = 1.0 / std::sqrt(sq / kHeadDim + 1e-6);
      for (int64_t i = 0; i < kHeadDim; ++i) want[size_t(r * kCols + s + i)] = x->row(r)[s + i] * inv * g[size_t(i)];
    }
  expect_close(one, want, 1e-5, "rmsnorm");
}

TEST(Elementwise, RopeMatchesDoubleAndThreads) {
  std::mt19937 rng(2);
  auto x = random_tensor(kRows, kCols, rng);
  std::vector<float> f(static_cast<size_t>(kHeadDim / 2));
  for (size_t i = 0; i < f.size(); ++i) f[i] = float(std::pow(10000.0, -2.0 * double(i) / kHeadDim));
  auto inv_freq = f32_vector(f, "inv_freq");
  std::vector<int32_t> positions(static_cast<size_t>(kRows));
  for (size_t r = 0; r < positions.size(); ++r) positions[r] = int32_t(7 * r + 3);
  auto one_t = copy_of(*x), two_t = copy_of(*x);
  CpuTensor &one = *one_t, &two = *two_t;
  rope(one, kHeadDim, positions.data(), *inv_freq, 1.0f, 1);
  rope(two, kHeadDim, positions.data(), *inv_freq, 1.0f, 2);
  expect_same_bits(one, two, "rope");
  std::vector<double> want(x->data.size());
  const int64_t half = kHeadDim / 2;
  for (int64_t r = 0; r < kRows; ++r)
    for (int64_t h = 0; h < kCols; h += kHeadDim)
      for (int64_t i = 0; i < half; ++i) {
        const double angle = double(float(positions[size_t(r)]) * f[size_t(i)]);
        const double a = x->row(r)[h + i], b = x->row(r)[h + i + half];
        want[size_t(r * kCols + h + i)] = a * std::cos(angle) - b * std::sin(angle);
        want[size_t(r * kCols + h + i + half)] = b * std::cos(angle) + a * std::sin(angle);
      }
  // Absolute terms: a rotated value can be near zero while its inputs are not.
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_TRUE(std::isfinite(one.data[i]) && std::fabs(one.data[i] - want[i]) <= 2e-6 * 3.0) << "rope value " << i;
}

// Every kernel family this CPU runs (the vector e^x: <= 2 ulp), rows of whole vectors and
// rows ending in a partial one.
TEST(Elementwise, SwigluMatchesDoubleAndThreads) {
  std::mt19937 rng(3);
  for (int64_t cols : {kCols, int64_t(1031)}) {
    auto gate = random_tensor(kRows, cols, rng, 12.0f), up = random_tensor(kRows, cols, rng);
    // The ends of e^x's range: e^-g overflows (-0 out), underflows (g out), NaN stays NaN.
    gate->data[0] = -100.0f;
    gate->data[1] = 100.0f;
    gate->data[2] = -88.2f;
    gate->data[3] = std::nanf("");
    std::vector<double> want(gate->data.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const double g = gate->data[i];
      want[i] = g / (1.0 + std::exp(-g)) * up->data[i];
    }
    for (KernelIsa isa : {KernelIsa::scalar, KernelIsa::avx2, KernelIsa::avx512}) {
      if (!kernel_isa_supported(isa)) continue;
      CpuTensor one(kRows, cols), two(kRows, cols);
      swiglu(*gate, *up, one, 1, isa);
      swiglu(*gate, *up, two, 2, isa);
      expect_same_bits(one, two, kernel_isa_name(isa));
      EXPECT_TRUE(std::isnan(one.data[3])) << kernel_isa_name(isa);
      one.data[3] = 0.0f;
      want[3] = 0.0;
      expect_close(one, want, 1e-6, kernel_isa_name(isa));
      EXPECT_TRUE(std::signbit(one.data[0]) == std::signbit(float(want[0]))) << kernel_isa_name(isa);
    }
  }
}

TEST(Elementwise, AddIsExactAndThreads) {
  std::mt19937 rng(4);
  auto x = random_tensor(kRows, kCols, rng), y = random_tensor(kRows, kCols, rng);
  auto one_t = copy_of(*x), two_t = copy_of(*x);
  CpuTensor &one = *one_t, &two = *two_t;
  add(one, *y, 1);
  add(two, *y, 2);
  expect_same_bits(one, two, "add");
  for (size_t i = 0; i < one.data.size(); ++i) ASSERT_EQ(one.data[i], x->data[i] + y->data[i]) << "add value " << i;
}

}  // namespace
}  // namespace llmrun::cpu
