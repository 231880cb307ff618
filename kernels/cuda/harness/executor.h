#pragma once
// The host execution harness: runs CUDA kernels written for kernels/cuda on the CPU with
// CUDA's execution model, so CI proves them without a GPU. A launch runs its blocks one
// after another (in a shuffled order, so no kernel can rely on block order); a block's
// threads run as fibers on the calling OS thread, switching only at __syncthreads, warp
// collectives and exit. Shared memory is per block, warp collectives exchange values
// among exactly the lanes of their mask, and misuse that is undefined on a GPU — a
// barrier some threads never reach, masks that disagree, reading a lane outside the mask,
// too much shared memory — is an llmrun::Error naming the kernel.
//
// Not modelled (a GPU run is the only check): memory ordering and concurrency between
// blocks (they never overlap here), timing, warp-synchronous code without __syncwarp,
// races inside a block beyond what the fixed schedule exposes, and device-specific
// rounding of fast intrinsics (__expf etc. use the host's libm here).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

// CUDA's launch-shape and index types, as the CUDA headers define them.
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};
struct uint3 {
  unsigned x, y, z;
};

namespace llmrun::harness {

constexpr int kWarpSize = 32;
constexpr unsigned kMaxThreadsPerBlock = 1024;
// Without cudaFuncSetAttribute a launch gets at most 48 KiB of dynamic shared memory.
constexpr size_t kMaxDynamicSharedBytes = 48 * 1024;

// A captured sequence of launches and copies, replayed in order (cudaGraphExec_t's role).
class Graph {
 public:
  void replay() const {
    for (const auto& step : steps_) step();
  }
  size_t size() const { return steps_.size(); }

 private:
  friend class Executor;
  std::vector<std::function<void()>> steps_;
};

class Executor {
 public:
  Executor();
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs body once per thread of every block (or records it while capturing).
  void launch(const char* name, dim3 grid, dim3 block, size_t shared_bytes, std::function<void()> body);
  // Runs a host-side step in stream order (copies, memsets), or records it while capturing.
  void enqueue(std::function<void()> step);

  void begin_capture();
  Graph end_capture();
  bool capturing() const { return capturing_; }

  // Launches run so far (not counting replays of graphs), for tests of the harness.
  int64_t launches() const { return launches_; }

 private:
  void run(const char* name, dim3 grid, dim3 block, size_t shared_bytes, const std::function<void()>& body);

  struct Fibers;  // the fiber stacks, reused by every block
  std::unique_ptr<Fibers> fibers_;
  bool capturing_ = false;
  Graph captured_;
  int64_t launches_ = 0;
  uint64_t order_seed_ = 0x9e3779b97f4a7c15ull;
};

void launch(Executor* stream, const char* name, dim3 grid, dim3 block, size_t shared_bytes,
            std::function<void()> body);

// What the built-ins read and do, for the thread being run (builtins.h).
const uint3& thread_index();
const uint3& block_index();
const dim3& block_dim();
const dim3& grid_dim();
unsigned char* dynamic_shared();
void sync_threads();
void sync_warp(unsigned mask);
// The warp collectives: each lane offers `value` (up to 8 bytes) and gets back lane
// `source(lane)`'s value; lanes outside `mask` must not call.
uint64_t shuffle(unsigned mask, uint64_t value, int source_lane);
unsigned ballot(unsigned mask, bool predicate);
int lane_id();

}  // namespace llmrun::harness
