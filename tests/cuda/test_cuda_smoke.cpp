// The CUDA toolchain and launch path, checked against the CPU. Skips with the reason
// when this build or machine has no CUDA device.
#include <random>

#include "kernels/cuda/cuda_devices.h"
#include "runtime/backend.h"
#include "runtime/error.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

TEST(Cuda, AddKernelMatchesCpu) {
  if (!cuda::built_with_cuda()) GTEST_SKIP() << cuda::unavailable_reason();
  if (cuda::list_devices().empty()) GTEST_SKIP() << "no GPU here: " << cuda::unavailable_reason();
  // 1 element, a partial block, and more than one grid-stride pass.
  for (size_t n : {size_t(1), size_t(257), size_t(65535) * 256 + 3}) {
    std::mt19937 rng(42);
    std::normal_distribution<float> dist;
    std::vector<float> x(n), y(n);
    for (size_t i = 0; i < n; ++i) x[i] = dist(rng), y[i] = dist(rng);
    const std::vector<float> got = cuda::add_f32_host(x, y);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], x[i] + y[i]) << "n=" << n << " i=" << i;  // one IEEE add: exact
  }
}

TEST(Cuda, DevicesAreDescribed) {
  for (const cuda::DeviceInfo& d : cuda::list_devices()) {
    std::printf("[ device   ] %d: %s sm_%d%d, %.1f GiB, %d SMs\n", d.index, d.name.c_str(), d.compute_major,
                d.compute_minor, double(d.total_memory) / (1 << 30), d.multiprocessors);
    EXPECT_FALSE(d.name.empty());
    EXPECT_GT(d.total_memory, 0u);
  }
}

TEST(Cuda, UnavailableDeviceIsAClearError) {
  if (cuda::built_with_cuda() && !cuda::list_devices().empty()) GTEST_SKIP() << "a GPU is present";
  try {
    make_backend({"cuda", 1});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--device cuda"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("use --device cpu"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace llmrun
