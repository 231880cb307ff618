// KV cache sizes come from config files and flags: they are checked for overflow and
// against the backend's free memory before anything is allocated, and a long context costs
// memory only as it fills.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "runtime/backend.h"
#include "runtime/error.h"
#include "runtime/kv_cache.h"

namespace llmrun {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Resident memory of this process, from /proc/self/status (VmRSS, KiB).
int64_t rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      int64_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
  }
  return -1;
}

TEST(KvCache, BytesAreCountedAndOverflowIsAnError) {
  // Qwen3-0.6B shapes at 40,960 positions in fp32: 28 x 8 x 128 x 40960 x 2 x 4.
  EXPECT_EQ(kv_cache_bytes(28, 8, 128, 40960, TensorType::f32), int64_t(28) * 8 * 128 * 40960 * 2 * 4);
  EXPECT_EQ(kv_cache_bytes(28, 8, 128, 40960, TensorType::bf16), int64_t(28) * 8 * 128 * 40960 * 2 * 2);
  // 2^59 positions: the product wraps int64 (the bug: it wrapped to 0 and crashed).
  const std::string e = error_of([] { kv_cache_bytes(28, 8, 128, int64_t(1) << 59, TensorType::f32); });
  EXPECT_NE(e.find("overflows 64-bit sizes: lower --ctx"), std::string::npos) << e;
  EXPECT_NE(error_of([] { kv_cache_bytes(0, 8, 128, 16, TensorType::f32); }).find("KV cache: a size of 0"),
            std::string::npos);
}

TEST(KvCache, MoreThanTheFreeMemoryIsRefusedBeforeAllocating) {
  const std::unique_ptr<Backend> cpu = make_backend({"cpu", 1, "auto"});
  const int64_t free = cpu->free_memory_bytes();
  ASSERT_GT(free, 0);
  const int64_t positions = free / (4 * 8 * 128 * 2 * 4) + 1024;  // just over what is free
  const std::string e = error_of([&] { KvCache cache(*cpu, 4, 8, 128, positions, TensorType::f32); });
  EXPECT_NE(e.find("KV cache for a context of " + std::to_string(positions) + " tokens needs"), std::string::npos) << e;
  EXPECT_NE(e.find("lower --ctx (about "), std::string::npos) << e;
}

TEST(KvCache, ALongContextCostsMemoryOnlyAsItFills) {
  const std::unique_ptr<Backend> cpu = make_backend({"cpu", 1, "auto"});
  const int64_t bytes = kv_cache_bytes(28, 8, 128, 8192, TensorType::f32);  // 1.75 GiB
  if (cpu->free_memory_bytes() < bytes) GTEST_SKIP() << "less than " << bytes << " bytes free";
  const int64_t before = rss_bytes();
  KvCache cache(*cpu, 28, 8, 128, 8192, TensorType::f32);
  const int64_t grown = rss_bytes() - before;
  EXPECT_LT(grown, bytes / 16) << "an empty cache of " << bytes << " bytes made the process grow by " << grown;
}

}  // namespace
}  // namespace llmrun
