// The host execution harness against what CUDA guarantees: indices, shared memory and
// barriers, warp collectives, atomics, graph capture, and the errors it raises for code
// that would be undefined on a GPU. Kernels here are host-only (this file is built only
// for the harness); the kernels of kernels/cuda run on both.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "kernels/cuda/device_compat.cuh"
#include "kernels/cuda/launch.cuh"
#include "runtime/error.h"
#include "tests/test_support.h"

namespace llmrun::cuda_host {
namespace {

__global__ void write_global_ids(unsigned* out) {
  const unsigned block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const unsigned thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const unsigned per_block = blockDim.x * blockDim.y * blockDim.z;
  out[block * per_block + thread] += block * per_block + thread + 1;
}

TEST(Harness, EveryThreadOfEveryBlockRunsOnceWithItsIndices) {
  OwnedStream s;
  const dim3 grid(3, 2, 2), block(5, 3, 2);  // 30 threads: a partial warp
  std::vector<unsigned> out(12 * 30, 0);
  launch("write_global_ids", write_global_ids, grid, block, 0, s.get(), out.data());
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], i + 1) << i;
}

// Tree reduction in shared memory: needs every __syncthreads to be a real barrier.
__global__ void block_sum(const float* x, int n, float* out) {
  __shared__ float partial[256];
  float v = 0;
  for (int i = int(threadIdx.x); i < n; i += int(blockDim.x)) v += x[i];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = partial[0];
}

TEST(Harness, SharedMemoryAndBarriers) {
  OwnedStream s;
  for (int n : {1, 255, 256, 769}) {
    std::vector<float> x(static_cast<size_t>(n));
    std::iota(x.begin(), x.end(), 1.0f);
    float out[2] = {0, 0};
    launch("block_sum", block_sum, dim3(2), dim3(256), 0, s.get(), x.data(), n, out);
    EXPECT_EQ(out[0], float(n) * float(n + 1) / 2) << n;  // exact: small integers
    EXPECT_EQ(out[1], out[0]);
  }
}

// The same without the barrier between writing and reading a neighbour's slot: the
// harness's schedule must expose it (the reader runs before the writer in one of the two
// scheduling directions).
__global__ void neighbour_without_barrier(float* out) {
  LLMRUN_DYNAMIC_SHARED(float, slot);
  slot[threadIdx.x] = float(threadIdx.x);
  __syncwarp();  // not a block barrier: warps 0 and 1 do not wait for each other
  out[blockIdx.x * blockDim.x + threadIdx.x] = slot[(threadIdx.x + 32) % blockDim.x];
}

TEST(Harness, AMissingBlockBarrierShowsUp) {
  OwnedStream s;
  std::vector<float> out(2 * 64);
  launch("neighbour_without_barrier", neighbour_without_barrier, dim3(2), dim3(64), 64 * sizeof(float), s.get(),
         out.data());
  size_t wrong = 0;
  for (size_t i = 0; i < out.size(); ++i) wrong += out[i] != float((i % 64 + 32) % 64);
  EXPECT_GT(wrong, 0u) << "the race was not exposed";
}

__global__ void warp_collectives(const int* x, int* out) {
  const int lane = int(threadIdx.x % 32);
  int v = x[threadIdx.x];
  int sum = v;
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  int down = v;
  for (int offset = 16; offset > 0; offset /= 2) down += __shfl_down_sync(0xffffffffu, down, unsigned(offset));
  const int from_lane_3 = __shfl_sync(0xffffffffu, v, 3);
  const unsigned odd = __ballot_sync(0xffffffffu, v % 2 != 0);
  const int half_sum = v + __shfl_xor_sync(0xffffffffu, v, 1, 2);  // pairs (width 2)
  out[threadIdx.x * 5 + 0] = sum;
  out[threadIdx.x * 5 + 1] = lane == 0 ? down : 0;
  out[threadIdx.x * 5 + 2] = from_lane_3;
  out[threadIdx.x * 5 + 3] = int(odd);
  out[threadIdx.x * 5 + 4] = half_sum;
}

TEST(Harness, WarpCollectives) {
  OwnedStream s;
  std::vector<int> x(64), out(64 * 5);
  for (int i = 0; i < 64; ++i) x[size_t(i)] = i * i % 37;
  launch("warp_collectives", warp_collectives, dim3(1), dim3(64), 0, s.get(), x.data(), out.data());
  for (int w = 0; w < 2; ++w) {
    int sum = 0;
    unsigned odd = 0;
    for (int l = 0; l < 32; ++l) sum += x[size_t(w * 32 + l)], odd |= unsigned(x[size_t(w * 32 + l)] % 2) << l;
    for (int l = 0; l < 32; ++l) {
      const size_t t = size_t(w * 32 + l);
      EXPECT_EQ(out[t * 5 + 0], sum);
      if (l == 0) {
        EXPECT_EQ(out[t * 5 + 1], sum);
      }
      EXPECT_EQ(out[t * 5 + 2], x[size_t(w * 32 + 3)]);
      EXPECT_EQ(unsigned(out[t * 5 + 3]), odd);
      EXPECT_EQ(out[t * 5 + 4], x[t] + x[t ^ 1]);
    }
  }
}

__global__ void count_threads(int* counter) { atomicAdd(counter, 1); }

TEST(Harness, AtomicsAcrossBlocks) {
  OwnedStream s;
  int counter = 0;
  launch("count_threads", count_threads, dim3(7, 3), dim3(96), 0, s.get(), &counter);
  EXPECT_EQ(counter, 7 * 3 * 96);
}

__global__ void barrier_after_early_exit(int* out) {
  if (threadIdx.x >= 40) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}
__global__ void shuffle_outside_mask(int* out) {
  out[threadIdx.x] = __shfl_sync(0x0000ffffu, int(threadIdx.x), 20);
}
__global__ void masks_disagree(int* out) {
  const unsigned mask = threadIdx.x < 16 ? 0xffffffffu : 0x7fffffffu;
  if (threadIdx.x == 31) return;
  out[threadIdx.x] = __shfl_xor_sync(mask, int(threadIdx.x), 1);
}
__global__ void do_nothing(int*) {}

TEST(Harness, UndefinedUseIsAnErrorNamingTheKernel) {
  OwnedStream s;
  std::vector<int> out(64);
  using testing::error_of;
  EXPECT_NE(error_of([&] { launch("early_exit", barrier_after_early_exit, dim3(1), dim3(64), 0, s.get(), out.data()); })
                .find("kernel early_exit block (0,0,0) cannot go on: 40 threads wait at __syncthreads"),
            std::string::npos);
  EXPECT_NE(error_of([&] { launch("outside", shuffle_outside_mask, dim3(1), dim3(16), 0, s.get(), out.data()); })
                .find("outside mask"),
            std::string::npos);
  EXPECT_NE(error_of([&] { launch("disagree", masks_disagree, dim3(1), dim3(32), 0, s.get(), out.data()); })
                .find("different masks"),
            std::string::npos);
  EXPECT_NE(error_of([&] { launch("big", do_nothing, dim3(1), dim3(1025), 0, s.get(), out.data()); }).find("invalid block"),
            std::string::npos);
  EXPECT_NE(error_of([&] { launch("smem", do_nothing, dim3(1), dim3(32), 49 * 1024, s.get(), out.data()); })
                .find("48 KiB"),
            std::string::npos);
  // The executor is still usable after an error.
  int counter = 0;
  launch("count_threads", count_threads, dim3(2), dim3(32), 0, s.get(), &counter);
  EXPECT_EQ(counter, 64);
}

TEST(Harness, CapturedGraphsReplayLaunchesAndCopies) {
  OwnedStream s;
  int counter = 0, copied = 0;
  s.get()->begin_capture();
  launch("count_threads", count_threads, dim3(2), dim3(32), 0, s.get(), &counter);
  copy_on_device(&copied, &counter, sizeof(int), s.get());
  EXPECT_NE(testing::error_of([&] { synchronize(s.get()); }), "(no error)");
  const harness::Graph graph = s.get()->end_capture();
  EXPECT_EQ(counter, 0) << "capture must not run anything";
  EXPECT_EQ(graph.size(), 2u);
  for (int i = 1; i <= 3; ++i) {
    graph.replay();
    EXPECT_EQ(counter, 64 * i);
    EXPECT_EQ(copied, 64 * i);
  }
}

TEST(Harness, DeviceMemoryStartsAsNaN) {
  DeviceBuffer<float> b(5);
  OwnedStream s;
  for (float v : b.download(s.get())) EXPECT_TRUE(std::isnan(v));
}

}  // namespace
}  // namespace llmrun::cuda_host
