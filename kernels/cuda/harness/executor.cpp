// Fibers: each simulated thread has its own stack and is resumed by a per-block scheduler
// until it exits or waits at a barrier/collective that is not yet complete. On x86-64 a
// stack switch is a few instructions (callee-saved registers, MXCSR and the x87 control
// word), elsewhere ucontext, whose sigprocmask system call per switch made whole-model
// runs ~30x slower. Under AddressSanitizer the stack switches are announced to it.
#include "kernels/cuda/harness/executor.h"

#include <sys/mman.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "runtime/error.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define LLMRUN_HARNESS_ASAN 1
#endif

#if defined(__x86_64__)
extern "C" void llmrun_harness_switch(void** save_sp, void* new_sp);
extern "C" void llmrun_harness_trampoline();
extern "C" void llmrun_harness_fiber_main();
// llmrun_harness_switch(save, next): pushes the callee-saved state, stores the stack
// pointer in *save and resumes the stack `next` (saved the same way, or made by
// start_fiber to "return" into the trampoline, which calls the fiber's main).
asm(R"(
  .text
  .globl llmrun_harness_switch
  .type llmrun_harness_switch, @function
llmrun_harness_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size llmrun_harness_switch, .-llmrun_harness_switch

  .globl llmrun_harness_trampoline
  .type llmrun_harness_trampoline, @function
llmrun_harness_trampoline:
  call llmrun_harness_fiber_main
  ud2
  .size llmrun_harness_trampoline, .-llmrun_harness_trampoline
)");
#endif

namespace llmrun::harness {
namespace {

#if defined(__x86_64__)
struct Context {
  void* sp = nullptr;
};
inline void switch_context(Context& save, Context& next) { llmrun_harness_switch(&save.sp, next.sp); }
#else
struct Context {
  ucontext_t uc;
};
inline void switch_context(Context& save, Context& next) { swapcontext(&save.uc, &next.uc); }
#endif

#if defined(LLMRUN_HARNESS_ASAN)
constexpr size_t kStackBytes = 512 * 1024;  // ASan's redzones make frames much larger
#else
constexpr size_t kStackBytes = 128 * 1024;
#endif

enum class Wait { none, block, warp };

struct SimThread {
  Context context;
  uint3 index;
  int warp = 0, lane = 0;
  bool done = false;
  Wait wait = Wait::none;
  uint64_t wait_generation = 0;
  void* stack = nullptr;
};

struct WarpState {
  unsigned live = 0;     // lanes of this warp that exist in the block
  unsigned arrived = 0;  // lanes arrived at the current collective
  unsigned mask = 0;     // the current collective's mask
  uint64_t generation = 0;
  // Lane values of the current collective, double-buffered by generation parity: a lane can
  // only start collective g+1 once every lane has arrived at (and so read) collective g-1's.
  uint64_t values[2][kWarpSize] = {};
};

// One block being run; the built-ins reach it through `g_block`.
struct BlockRun {
  const char* kernel = "";
  uint3 block_index{0, 0, 0};
  dim3 block_dim, grid_dim;
  unsigned char* shared = nullptr;
  const std::function<void()>* body = nullptr;
  std::vector<SimThread>* threads = nullptr;
  std::vector<WarpState> warps;
  unsigned block_arrived = 0;
  uint64_t block_generation = 0;
  unsigned thread_count = 0;
  unsigned done = 0;
  uint64_t progress = 0;
  SimThread* current = nullptr;
  Context scheduler;
  std::exception_ptr error;
#if defined(LLMRUN_HARNESS_ASAN)
  const void* scheduler_stack_bottom = nullptr;
  size_t scheduler_stack_size = 0;
#endif
};

// CUDA's built-ins (threadIdx, __syncthreads, ...) take no arguments, so the block being
// simulated on this OS thread has to be found implicitly; this is the only such state.
thread_local BlockRun* g_block = nullptr;

BlockRun& block() {
  if (!g_block) fail("CUDA built-in used outside a harness launch");
  return *g_block;
}

// Announces a switch to another stack to ASan (no-ops otherwise).
inline void before_switch(void** fake_stack, const void* bottom, size_t size) {
#if defined(LLMRUN_HARNESS_ASAN)
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
#else
  (void)fake_stack, (void)bottom, (void)size;
#endif
}
inline void after_switch(void* fake_stack, BlockRun* run) {
#if defined(LLMRUN_HARNESS_ASAN)
  const void* bottom = nullptr;
  size_t size = 0;
  __sanitizer_finish_switch_fiber(fake_stack, &bottom, &size);
  if (run && !run->scheduler_stack_bottom) run->scheduler_stack_bottom = bottom, run->scheduler_stack_size = size;
#else
  (void)fake_stack, (void)run;
#endif
}

// From a fiber back to the scheduler.
void yield_to_scheduler() {
  BlockRun& run = block();
  void* fake = nullptr;
#if defined(LLMRUN_HARNESS_ASAN)
  before_switch(&fake, run.scheduler_stack_bottom, run.scheduler_stack_size);
#else
  before_switch(&fake, nullptr, 0);
#endif
  switch_context(run.current->context, run.scheduler);
  after_switch(fake, nullptr);
}

}  // namespace
}  // namespace llmrun::harness

extern "C" void llmrun_harness_fiber_main() {
  using namespace llmrun::harness;
  after_switch(nullptr, g_block);
  BlockRun& run = *g_block;
  try {
    (*run.body)();
  } catch (...) {
    if (!run.error) run.error = std::current_exception();
  }
  run.current->done = true;
  ++run.done;
  ++run.progress;
#if defined(LLMRUN_HARNESS_ASAN)
  before_switch(nullptr, run.scheduler_stack_bottom, run.scheduler_stack_size);  // this fiber ends
#endif
  Context dead;
  switch_context(dead, run.scheduler);  // never resumed
  __builtin_unreachable();
}

namespace llmrun::harness {
namespace {

std::string where(const BlockRun& run) {
  const SimThread& t = *run.current;
  return ::llmrun::detail::concat("kernel ", run.kernel, " block (", run.block_index.x, ",", run.block_index.y, ",",
                        run.block_index.z, ") thread (", t.index.x, ",", t.index.y, ",", t.index.z, ")");
}

// Waits (as a fiber) until every lane of `mask` in this warp has arrived.
void warp_barrier(BlockRun& run, unsigned mask) {
  SimThread& t = *run.current;
  WarpState& w = run.warps[size_t(t.warp)];
  const unsigned bit = 1u << t.lane;
  if (!(mask & bit)) fail(where(run), ": warp collective with mask 0x", std::hex, mask, " that excludes the calling lane");
  if ((mask & w.live) != mask)
    fail(where(run), ": warp collective mask 0x", std::hex, mask, " names lanes that do not exist (live 0x", w.live, ")");
  if (w.arrived == 0) w.mask = mask;
  else if (w.mask != mask)
    fail(where(run), ": lanes of one warp called a collective with different masks (0x", std::hex, w.mask, " and 0x",
         mask, ")");
  w.arrived |= bit;
  ++run.progress;
  if (w.arrived == mask) {
    w.arrived = 0;
    ++w.generation;
    return;
  }
  t.wait = Wait::warp;
  t.wait_generation = w.generation;
  yield_to_scheduler();
  t.wait = Wait::none;
}

bool released(const BlockRun& run, const SimThread& t) {
  switch (t.wait) {
    case Wait::none: return true;
    case Wait::block: return run.block_generation != t.wait_generation;
    case Wait::warp: return run.warps[size_t(t.warp)].generation != t.wait_generation;
  }
  return true;
}

std::string deadlock_report(const BlockRun& run) {
  unsigned at_block = 0, at_warp = 0;
  for (unsigned i = 0; i < run.thread_count; ++i) {
    const SimThread& t = (*run.threads)[i];
    if (!t.done) (t.wait == Wait::block ? at_block : at_warp) += 1;
  }
  return ::llmrun::detail::concat("kernel ", run.kernel, " block (", run.block_index.x, ",", run.block_index.y, ",",
                        run.block_index.z, ") cannot go on: ", at_block, " threads wait at __syncthreads, ", at_warp,
                        " at a warp collective, ", run.done,
                        " have exited (every thread must reach each barrier; every lane of a mask each collective)");
}

// A fresh context for t that starts in llmrun_harness_fiber_main.
__attribute__((noinline)) void start_fiber(SimThread& t) {
#if defined(LLMRUN_HARNESS_ASAN)
  // A fiber abandoned by an earlier error left its frames' redzones poisoned on this stack.
  __asan_unpoison_memory_region(t.stack, kStackBytes);
#endif
#if defined(__x86_64__)
  // What llmrun_harness_switch pops: MXCSR and x87 control word (defaults), six
  // callee-saved registers, then the "return address" (the trampoline). The stack is
  // 16-byte aligned at the trampoline's call, as the ABI wants.
  uint64_t* sp = reinterpret_cast<uint64_t*>(static_cast<char*>(t.stack) + kStackBytes - 16 - 64);
  sp[0] = 0x1f80ull | (0x037full << 32);
  for (int i = 1; i <= 6; ++i) sp[i] = 0;
  sp[7] = reinterpret_cast<uint64_t>(&llmrun_harness_trampoline);
  t.context.sp = sp;
#else
  getcontext(&t.context.uc);
  t.context.uc.uc_stack.ss_sp = t.stack;
  t.context.uc.uc_stack.ss_size = kStackBytes;
  t.context.uc.uc_link = nullptr;
  makecontext(&t.context.uc, llmrun_harness_fiber_main, 0);
#endif
}

// Resumes the block's fibers round-robin until all have exited. Kept apart from the caller
// because swapcontext returns twice, like setjmp, for the variables of its frame.
__attribute__((noinline)) void schedule_block(BlockRun& run, std::vector<SimThread>& threads, size_t n, bool reverse) {
  while (run.done < n) {
    const uint64_t before = run.progress;
    for (size_t k = 0; k < n; ++k) {
      SimThread& t = threads[reverse ? n - 1 - k : k];
      if (t.done || !released(run, t)) continue;
      run.current = &t;
      void* fake = nullptr;
      before_switch(&fake, t.stack, kStackBytes);
      switch_context(run.scheduler, t.context);
      after_switch(fake, nullptr);
      if (run.error) std::rethrow_exception(run.error);
    }
    if (run.progress == before) fail(deadlock_report(run));
  }
}

}  // namespace

struct Executor::Fibers {
  std::vector<SimThread> threads;
  ~Fibers() {
    for (SimThread& t : threads) {
      if (!t.stack) continue;
#if defined(LLMRUN_HARNESS_ASAN)
      // Frames left on the stack keep their redzones poisoned; a later mapping at these
      // addresses (a safetensors file) would inherit them.
      __asan_unpoison_memory_region(t.stack, kStackBytes);
#endif
      munmap(static_cast<char*>(t.stack) - page(), kStackBytes + page());
    }
  }
  static size_t page() { return size_t(sysconf(_SC_PAGESIZE)); }
  // Stacks are made on first use and kept; each has a guard page below it, so an overflow
  // faults instead of corrupting a neighbour.
  void reserve(size_t n) {
    if (threads.size() < n) threads.resize(n);
    for (size_t i = 0; i < n; ++i) {
      if (threads[i].stack) continue;
      void* p = mmap(nullptr, kStackBytes + page(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) fail("host harness: cannot map a fiber stack");
      mprotect(p, page(), PROT_NONE);
      threads[i].stack = static_cast<char*>(p) + page();
    }
  }
};

Executor::Executor() : fibers_(std::make_unique<Fibers>()) {}
Executor::~Executor() = default;

void Executor::launch(const char* name, dim3 grid, dim3 block_shape, size_t shared_bytes, std::function<void()> body) {
  ++launches_;
  if (capturing_) {
    captured_.steps_.push_back([this, name, grid, block_shape, shared_bytes, body = std::move(body)] {
      run(name, grid, block_shape, shared_bytes, body);
    });
    return;
  }
  run(name, grid, block_shape, shared_bytes, body);
}

void Executor::enqueue(std::function<void()> step) {
  if (capturing_) captured_.steps_.push_back(std::move(step));
  else step();
}

void Executor::begin_capture() {
  if (capturing_) fail("host harness: a capture is already in progress on this stream");
  capturing_ = true;
  captured_ = Graph();
}

Graph Executor::end_capture() {
  if (!capturing_) fail("host harness: end_capture without begin_capture");
  capturing_ = false;
  return std::move(captured_);
}

void Executor::run(const char* name, dim3 grid, dim3 block_shape, size_t shared_bytes,
                   const std::function<void()>& body) {
  const uint64_t threads_per_block = uint64_t(block_shape.x) * block_shape.y * block_shape.z;
  const uint64_t blocks = uint64_t(grid.x) * grid.y * grid.z;
  if (threads_per_block == 0 || threads_per_block > kMaxThreadsPerBlock || block_shape.z > 64)
    fail("kernel ", name, ": invalid block (", block_shape.x, ",", block_shape.y, ",", block_shape.z, ")");
  if (blocks == 0 || grid.y > 65535 || grid.z > 65535)
    fail("kernel ", name, ": invalid grid (", grid.x, ",", grid.y, ",", grid.z, ")");
  if (shared_bytes > kMaxDynamicSharedBytes)
    fail("kernel ", name, ": ", shared_bytes, " bytes of dynamic shared memory (more than 48 KiB needs an opt-in)");
  if (g_block) fail("kernel ", name, ": launched from inside another kernel");

  const size_t n = size_t(threads_per_block);
  fibers_->reserve(n);
  std::vector<unsigned char> shared(shared_bytes + 16);
  BlockRun run;
  run.kernel = name;
  run.block_dim = block_shape;
  run.grid_dim = grid;
  run.body = &body;
  run.threads = &fibers_->threads;
  run.thread_count = unsigned(n);
  run.shared = shared.data() + (16 - reinterpret_cast<uintptr_t>(shared.data()) % 16) % 16;
  run.warps.resize((n + kWarpSize - 1) / kWarpSize);

  // Blocks run in a shuffled order (fixed per launch count) so no kernel can depend on
  // block 0 running first.
  std::vector<uint64_t> order(static_cast<size_t>(blocks));
  for (uint64_t b = 0; b < blocks; ++b) order[size_t(b)] = b;
  uint64_t state = order_seed_ += 0x9e3779b97f4a7c15ull;
  for (size_t i = order.size(); i > 1; --i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    std::swap(order[i - 1], order[size_t((state >> 33) % i)]);
  }

  struct Reset {
    ~Reset() { g_block = nullptr; }
  } reset;
  for (size_t bi = 0; bi < order.size(); ++bi) {
    const uint64_t b = order[bi];
    run.block_index = {unsigned(b % grid.x), unsigned(b / grid.x % grid.y), unsigned(b / (uint64_t(grid.x) * grid.y))};
    // Uninitialised shared memory reads as NaN (0xff bytes), as garbage would on a GPU.
    std::fill(shared.begin(), shared.end(), 0xff);
    run.block_arrived = 0;
    run.done = 0;
    for (WarpState& w : run.warps) w = WarpState();
    for (size_t i = 0; i < n; ++i) {
      SimThread& t = fibers_->threads[i];
      t.index = {unsigned(i % block_shape.x), unsigned(i / block_shape.x % block_shape.y),
                 unsigned(i / (size_t(block_shape.x) * block_shape.y))};
      t.warp = int(i / kWarpSize);
      t.lane = int(i % kWarpSize);
      t.done = false;
      t.wait = Wait::none;
      run.warps[size_t(t.warp)].live |= 1u << t.lane;
      start_fiber(t);
    }
    g_block = &run;
    // Odd blocks schedule their threads in reverse, so a missing __syncthreads shows up
    // whichever side of it the reader is.
    schedule_block(run, fibers_->threads, n, bi % 2 == 1);
  }
}

void launch(Executor* stream, const char* name, dim3 grid, dim3 block_shape, size_t shared_bytes,
            std::function<void()> body) {
  if (!stream) fail("kernel ", name, ": launched on a null stream");
  stream->launch(name, grid, block_shape, shared_bytes, std::move(body));
}

const uint3& thread_index() { return block().current->index; }
const uint3& block_index() { return block().block_index; }
const dim3& block_dim() { return block().block_dim; }
const dim3& grid_dim() { return block().grid_dim; }
unsigned char* dynamic_shared() { return block().shared; }
int lane_id() { return block().current->lane; }

void sync_threads() {
  BlockRun& run = block();
  SimThread& t = *run.current;
  ++run.block_arrived;
  ++run.progress;
  if (run.block_arrived == run.thread_count) {
    run.block_arrived = 0;
    ++run.block_generation;
    return;
  }
  t.wait = Wait::block;
  t.wait_generation = run.block_generation;
  yield_to_scheduler();
  t.wait = Wait::none;
}

void sync_warp(unsigned mask) { warp_barrier(block(), mask); }

uint64_t shuffle(unsigned mask, uint64_t value, int source_lane) {
  BlockRun& run = block();
  SimThread& t = *run.current;
  WarpState& w = run.warps[size_t(t.warp)];
  uint64_t* values = w.values[w.generation & 1];
  values[t.lane] = value;
  warp_barrier(run, mask);
  if (source_lane < 0 || source_lane >= kWarpSize || !(mask & (1u << source_lane)))
    fail(where(run), ": shuffle reads lane ", source_lane, ", outside mask 0x", std::hex, mask);
  return values[source_lane];
}

unsigned ballot(unsigned mask, bool predicate) {
  BlockRun& run = block();
  SimThread& t = *run.current;
  WarpState& w = run.warps[size_t(t.warp)];
  uint64_t* values = w.values[w.generation & 1];
  values[t.lane] = predicate ? 1 : 0;
  warp_barrier(run, mask);
  unsigned bits = 0;
  for (int l = 0; l < kWarpSize; ++l)
    if ((mask >> l & 1u) && values[l]) bits |= 1u << l;
  return bits;
}

}  // namespace llmrun::harness
