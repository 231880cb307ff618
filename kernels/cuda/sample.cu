#include "kernels/cuda/device_compat.cuh"
#include "kernels/cuda/act_vec.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/sample.cuh"
#include "kernels/cuda/warp_reduce.cuh"
#include "runtime/error.h"

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

using sample_detail::Binning;
using sample_detail::canonical;
using sample_detail::key_value;
using sample_detail::kBins;
using sample_detail::order_key;
using u64 = unsigned long long;  // the type CUDA's 64-bit atomics and shuffles take

constexpr int kThreads = 1024;         // one block per row
static_assert(kBins == 2 * kThreads, "histogram bins: two per thread in the scans");
constexpr int kCap = 2 * kThreads;     // candidates held in shared memory: two per thread
constexpr unsigned kFull = 0xffffffffu;
constexpr unsigned kNoLimit = 0xffffffffu;
constexpr unsigned kNoId = 0xffffffffu;  // padding after the candidates: sorts last
constexpr float kMassScale = 1099511627776.0f;  // 2^40: fixed-point masses

// A block's state. Scalars are written by one thread and read by all after a barrier.
struct Shared {
  // Per bin: ids counted by the top-k passes (32-bit: native shared atomics) and masses of
  // the top-p passes (64-bit: a CAS loop on the device, used only with top-k off or > kCap).
  unsigned counts[kBins];
  u64 hist[kBins];
  unsigned key[kCap];  // candidates: order keys ...
  unsigned id[kCap];   // ... and token ids
  u64 warp[32];        // per-warp partials of the reductions and scans
  float warp_max[32];
  int bin;             // a selection's bin, the mass (or count) before it and in it
  u64 before, in_bin;
  unsigned count;      // compaction slots taken
  int cut;             // candidates kept by min-p / top-p
  int pick;            // the chosen id
};

// The weights and fixed-point masses of logits, relative to the row's maximum.
struct Weights {
  float max, inv_temperature;  // 1 / T, rounded to fp32 once (no division per logit)
  __device__ float w(float l) const { return l == max ? 1.0f : expf((l - max) * inv_temperature); }
  // Exact for w >= 2^-17 (w * 2^40 is then a whole number); truncated by < 2^-40 below.
  __device__ u64 q(float w_l) const { return u64(w_l * kMassScale); }
};

// Which keys are kept before the next filter: keys above `key`, and of those equal to it
// the first `limit` in id order (kNoLimit: all of them). {0, kNoLimit} keeps everything.
struct Keep {
  unsigned key = 0, limit = kNoLimit;
  __device__ bool limited() const { return limit != kNoLimit; }
};

// Calls f(i, logit, valid) for every id of the row, each once with valid = true; every
// lane of a warp calls it equally often (valid = false past the end). 16-byte loads when
// the row is aligned, 16 values in flight per thread.
template <typename T, typename F>
__device__ __forceinline__ void for_each_logit(const T* row, int64_t vocab, F&& f) {
  constexpr int kVec = vec16_elems<T>();
  constexpr int kUnroll = 16 / kVec;
  int64_t vec_end = 0;
  if (reinterpret_cast<uintptr_t>(row) % 16 == 0) {
    const int64_t vectors = vocab / kVec;
    vec_end = vectors * kVec;
    for (int64_t base = 0; base < vectors; base += int64_t(kThreads) * kUnroll) {
      Vec16 v[kUnroll] = {};
      LLMRUN_UNROLL
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t j = base + int64_t(u) * kThreads + threadIdx.x;
        if (j < vectors) v[u] = load_vec16(row + j * kVec);
      }
      LLMRUN_UNROLL
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t j = base + int64_t(u) * kThreads + threadIdx.x;
        LLMRUN_UNROLL
        for (int e = 0; e < kVec; ++e) f(j * kVec + e, canonical(vec16_get<T>(v[u], e)), j < vectors);
      }
    }
  }
  for (int64_t base = vec_end; base < vocab; base += kThreads) {
    const int64_t i = base + threadIdx.x;
    f(i, i < vocab ? canonical(to_f32(row[i])) : 0.0f, i < vocab);
  }
}

template <typename T>
__device__ __forceinline__ float logit_at(const T* row, int64_t i) {
  return canonical(to_f32(row[i]));
}

__device__ float block_max(float v, Shared& sh) {
  v = warp_max(v);
  if (threadIdx.x % 32 == 0) sh.warp_max[threadIdx.x / 32] = v;
  __syncthreads();
  float m = sh.warp_max[0];
  for (int w = 1; w < 32; ++w) m = fmaxf(m, sh.warp_max[w]);
  __syncthreads();
  return m;
}

__device__ int block_min(int v, Shared& sh) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const int o = __shfl_xor_sync(kFull, v, offset);
    v = o < v ? o : v;
  }
  if (threadIdx.x % 32 == 0) sh.warp[threadIdx.x / 32] = u64(unsigned(v));
  __syncthreads();
  int m = int(unsigned(sh.warp[0]));
  for (int w = 1; w < 32; ++w) m = int(unsigned(sh.warp[w])) < m ? int(unsigned(sh.warp[w])) : m;
  __syncthreads();
  return m;
}

// Inclusive prefix sum over the block in thread order; *total = the sum of all.
__device__ u64 block_scan(u64 v, Shared& sh, u64* total) {
  const int lane = int(threadIdx.x % 32), warp = int(threadIdx.x / 32);
  for (int offset = 1; offset < 32; offset *= 2) {
    const u64 o = __shfl_up_sync(kFull, v, unsigned(offset));
    if (lane >= offset) v += o;
  }
  if (lane == 31) sh.warp[warp] = v;
  __syncthreads();
  if (warp == 0) {
    u64 s = sh.warp[lane];
    for (int offset = 1; offset < 32; offset *= 2) {
      const u64 o = __shfl_up_sync(kFull, s, unsigned(offset));
      if (lane >= offset) s += o;
    }
    sh.warp[lane] = s;
  }
  __syncthreads();
  if (warp > 0) v += sh.warp[warp - 1];
  *total = sh.warp[31];
  __syncthreads();
  return v;
}

template <typename V>
__device__ void clear_hist(V* hist) {
  hist[2 * threadIdx.x] = 0;
  hist[2 * threadIdx.x + 1] = 0;
  __syncthreads();
}

// Per-thread run-length merging of histogram updates: consecutive elements of one thread
// in the same bin (equal or masked logits) cost one shared atomic, not one each.
template <typename V>
struct HistRun {
  V* hist;
  int bin = -1;
  V sum = 0;
  __device__ explicit HistRun(V* h) : hist(h) {}
  __device__ void add(int b, V v) {
    if (b != bin) {
      flush();
      bin = b;
    }
    sum += v;
  }
  __device__ void flush() {
    if (sum) atomicAdd(&hist[bin], sum);
    sum = 0;
  }
};

// The bin (in top-down order) where the running total, starting at `above`, first reaches
// `target`: above + before(b) < target <= above + before(b) + hist[b]. Thread t owns bins
// 2t and 2t+1; exactly one thread finds it (the callers keep target within the total).
template <typename V>
__device__ void find_bin(const V* hist, Shared& sh, u64 excl, u64 above, u64 target) {
  const u64 h0 = hist[2 * threadIdx.x], h1 = hist[2 * threadIdx.x + 1];
  const u64 b0 = above + excl, b1 = b0 + h0;
  if (b0 < target && target <= b0 + h0) sh.bin = int(2 * threadIdx.x), sh.before = b0, sh.in_bin = h0;
  if (b1 < target && target <= b1 + h1) sh.bin = int(2 * threadIdx.x + 1), sh.before = b1, sh.in_bin = h1;
  __syncthreads();
}

// Exclusive prefix of the bins before this thread's two; *total = every bin.
template <typename V>
__device__ u64 scan_bins(const V* hist, Shared& sh, u64* total) {
  const u64 mine = u64(hist[2 * threadIdx.x]) + u64(hist[2 * threadIdx.x + 1]);
  return block_scan(mine, sh, total) - mine;
}

// Counts of keys in b's range per bin.
template <typename T>
__device__ void count_pass(const T* row, int64_t vocab, const Binning& b, Shared& sh) {
  clear_hist(sh.counts);
  HistRun<unsigned> run(sh.counts);
  for_each_logit(row, vocab, [&](int64_t, float l, bool valid) {
    const unsigned key = order_key(l);
    if (valid && b.contains(key)) run.add(b.bin(key), 1u);
  });
  run.flush();
  __syncthreads();
}

// Masses of the kept ids (by `keep` and min-p) in b's range per bin. The limited tie group
// of `keep` has one mass for all (equal logits): limit * q, added once.
template <typename T>
__device__ void mass_pass(const T* row, int64_t vocab, const Binning& b, const Weights& wt, float min_p,
                          const Keep& keep, Shared& sh) {
  clear_hist(sh.hist);
  HistRun<u64> run(sh.hist);
  for_each_logit(row, vocab, [&](int64_t, float l, bool valid) {
    const unsigned key = order_key(l);
    if (!valid || !b.contains(key) || key < keep.key || (keep.limited() && key == keep.key)) return;
    const float w = wt.w(l);
    if (w >= min_p) run.add(b.bin(key), wt.q(w));
  });
  run.flush();
  if (threadIdx.x == 0 && keep.limited() && b.contains(keep.key)) {
    const float w = wt.w(key_value(keep.key));
    if (w >= min_p) atomicAdd(&sh.hist[b.bin(keep.key)], u64(keep.limit) * wt.q(w));
  }
  __syncthreads();
}

// The k best ids as a Keep rule, from count passes: {lo, kNoLimit} (every key >= lo) once a
// bin ends exactly at the k-th id or, with stop_at_cap, once key >= lo holds at most kCap
// ids (then *compactable: compact_from(lo), sort, take k); otherwise the k-th id's key and
// how many ids equal to it are among the k (a tie cut in id order).
template <typename T>
__device__ void select_top_k(const T* row, int64_t vocab, unsigned top_key, u64 k, bool stop_at_cap, Shared& sh,
                             Keep* keep, bool* compactable) {
  Binning b = Binning::logarithmic(top_key);
  u64 above = 0;
  for (int pass = 0; pass < 8; ++pass) {
    count_pass(row, vocab, b, sh);
    u64 total;
    const u64 excl = scan_bins(sh.counts, sh, &total);
    find_bin(sh.counts, sh, excl, above, k);
    unsigned hi, lo;
    b.keys(sh.bin, &hi, &lo);
    above = sh.before;
    const u64 in_bin = sh.in_bin;
    __syncthreads();  // sh.bin, before, in_bin are rewritten by the next pass
    if ((stop_at_cap && above + in_bin <= u64(kCap)) || above + in_bin == k) {
      *keep = Keep{lo, kNoLimit};  // every key >= lo
      *compactable = above + in_bin <= u64(kCap);
      return;
    }
    if (hi == lo) {
      *keep = Keep{lo, unsigned(k - above)};
      *compactable = false;
      return;
    }
    b = Binning::linear(hi, lo);
  }
}

// The top-p cutoff over the kept ids, from mass passes: the key whose tie group completes
// ceil(top_p * kept mass) in the top-down order, and how many of its ids are needed.
template <typename T>
__device__ Keep select_top_p(const T* row, int64_t vocab, unsigned top_key, const Weights& wt, float min_p,
                             float top_p, const Keep& keep, Shared& sh) {
  Binning b = Binning::logarithmic(top_key);
  u64 above = 0, target = 0;
  for (int pass = 0; pass < 8; ++pass) {
    mass_pass(row, vocab, b, wt, min_p, keep, sh);
    u64 total;
    const u64 excl = scan_bins(sh.hist, sh, &total);
    if (pass == 0) {
      const double t = ceil(double(top_p) * double(total));
      target = t >= double(total) ? total : u64(t);
      if (target == 0) target = 1;
    }
    find_bin(sh.hist, sh, excl, above, target);
    unsigned hi, lo;
    b.keys(sh.bin, &hi, &lo);
    above = sh.before;
    __syncthreads();
    if (hi == lo) {
      const u64 q = wt.q(wt.w(key_value(lo)));  // > 0: the bin holds mass
      return Keep{lo, unsigned((target - above + q - 1) / q)};
    }
    b = Binning::linear(hi, lo);
  }
  return keep;  // not reached: each pass narrows the range 2048-fold
}

// The draw: the first id whose cumulative mass exceeds this.
__device__ u64 draw_target(float u, u64 total) {
  u = fminf(fmaxf(u, 0.0f), 0.99999994f);
  u64 t = u64(floor(double(u) * double(total)));
  return t < total ? t : total - 1;
}

// The large case (more than kCap ids may be kept): min-p per id, then the inverse CDF over
// contiguous id ranges per thread (a scan of their masses), the owner of the target rescans.
template <typename T>
__device__ int pick_in_row(const T* row, int64_t vocab, const Weights& wt, float min_p, const Keep& keep, float u,
                           Shared& sh) {
  const int64_t span = (vocab + kThreads - 1) / kThreads;
  const int64_t begin = int64_t(threadIdx.x) * span < vocab ? int64_t(threadIdx.x) * span : vocab;
  const int64_t end = begin + span < vocab ? begin + span : vocab;
  u64 ties = 0, mass = 0;
  for (int64_t i = begin; i < end; ++i) {
    const float l = logit_at(row, i);
    const unsigned key = order_key(l);
    if (key < keep.key) continue;
    if (keep.limited() && key == keep.key) {
      ++ties;
      continue;
    }
    const float w = wt.w(l);
    if (w >= min_p) mass += wt.q(w);
  }
  u64 total;
  const u64 ties_before = block_scan(ties, sh, &total) - ties;
  u64 tie_q = 0;
  if (keep.limited()) {
    const float w = wt.w(key_value(keep.key));
    tie_q = w >= min_p ? wt.q(w) : 0;
    const u64 left = keep.limit > ties_before ? keep.limit - ties_before : 0;
    mass += (ties < left ? ties : left) * tie_q;
  }
  const u64 before = block_scan(mass, sh, &total) - mass;
  const u64 target = draw_target(u, total);
  if (threadIdx.x == 0) sh.pick = int(vocab - 1);  // replaced below: target < total
  __syncthreads();
  if (before <= target && target < before + mass) {
    u64 cum = before, rank = ties_before;
    for (int64_t i = begin; i < end; ++i) {
      const float l = logit_at(row, i);
      const unsigned key = order_key(l);
      if (key < keep.key) continue;
      u64 q;
      if (keep.limited() && key == keep.key) {
        q = rank++ < keep.limit ? tie_q : 0;
      } else {
        const float w = wt.w(l);
        q = w >= min_p ? wt.q(w) : 0;
      }
      cum += q;
      if (cum > target) {
        sh.pick = int(i);
        break;
      }
    }
  }
  __syncthreads();
  return sh.pick;
}

// Candidates: every id with key >= lo (at most kCap of them), in no particular order.
template <typename T>
__device__ int compact_from(const T* row, int64_t vocab, unsigned lo, Shared& sh) {
  if (threadIdx.x == 0) sh.count = 0;
  __syncthreads();
  for_each_logit(row, vocab, [&](int64_t i, float l, bool valid) {
    const unsigned key = order_key(l);
    if (valid && key >= lo) {
      const unsigned slot = atomicAdd(&sh.count, 1u);
      sh.key[slot] = key;
      sh.id[slot] = unsigned(i);
    }
  });
  __syncthreads();
  return int(sh.count);
}

// Candidates: every id with key > keep.key and the first keep.limit (by id) equal to it.
template <typename T>
__device__ int compact_ties(const T* row, int64_t vocab, const Keep& keep, Shared& sh) {
  const int64_t span = (vocab + kThreads - 1) / kThreads;
  const int64_t begin = int64_t(threadIdx.x) * span < vocab ? int64_t(threadIdx.x) * span : vocab;
  const int64_t end = begin + span < vocab ? begin + span : vocab;
  u64 ties = 0;
  for (int64_t i = begin; i < end; ++i) ties += order_key(logit_at(row, i)) == keep.key;
  if (threadIdx.x == 0) sh.count = 0;
  u64 total;
  u64 rank = block_scan(ties, sh, &total) - ties;
  for (int64_t i = begin; i < end; ++i) {
    const unsigned key = order_key(logit_at(row, i));
    if (key > keep.key || (key == keep.key && rank++ < keep.limit)) {
      const unsigned slot = atomicAdd(&sh.count, 1u);
      sh.key[slot] = key;
      sh.id[slot] = unsigned(i);
    }
  }
  __syncthreads();
  return int(sh.count);
}

// Candidate order: by (key descending, id ascending) — the reference's order — or by id.
template <bool kById>
__device__ __forceinline__ bool sorts_before(unsigned key_a, unsigned id_a, unsigned key_b, unsigned id_b) {
  return kById ? id_a < id_b : key_a > key_b || (key_a == key_b && id_a < id_b);
}

// Sorts the first n (<= kCap) candidates. Up to kRankSortMax by rank (each holder counts
// the candidates before its own: n^2 compares over n / 2 threads, two barriers), beyond by
// a bitonic network over the next power of two (padding sorts last: key 0, id kNoId).
constexpr int kRankSortMax = 256;
template <bool kById>
__device__ void sort_candidates(Shared& sh, int n) {
  const int j0 = int(2 * threadIdx.x), j1 = j0 + 1;
  if (n <= kRankSortMax) {
    if (n < 2) return;
    const unsigned k0 = j0 < n ? sh.key[j0] : 0, d0 = j0 < n ? sh.id[j0] : kNoId;
    const unsigned k1 = j1 < n ? sh.key[j1] : 0, d1 = j1 < n ? sh.id[j1] : kNoId;
    int r0 = 0, r1 = 0;
    if (j0 < n) {
      for (int i = 0; i < n; ++i) {
        const unsigned ki = sh.key[i], di = sh.id[i];
        r0 += sorts_before<kById>(ki, di, k0, d0);
        r1 += sorts_before<kById>(ki, di, k1, d1);
      }
    }
    __syncthreads();
    if (j0 < n) sh.key[r0] = k0, sh.id[r0] = d0;
    if (j1 < n) sh.key[r1] = k1, sh.id[r1] = d1;
    __syncthreads();
    return;
  }
  int width = 1;
  while (width < n) width *= 2;
  for (int j = n + int(threadIdx.x); j < width; j += kThreads) sh.key[j] = 0, sh.id[j] = kNoId;
  __syncthreads();
  for (int size = 2; size <= width; size *= 2) {
    for (int stride = size / 2; stride > 0; stride /= 2) {
      for (int t = int(threadIdx.x); t < width / 2; t += kThreads) {
        const int i = 2 * stride * (t / stride) + t % stride, j = i + stride;
        if (sorts_before<kById>(sh.key[j], sh.id[j], sh.key[i], sh.id[i]) == ((i & size) == 0)) {
          const unsigned k = sh.key[i], d = sh.id[i];
          sh.key[i] = sh.key[j], sh.id[i] = sh.id[j];
          sh.key[j] = k, sh.id[j] = d;
        }
      }
      __syncthreads();
    }
  }
}

// The small case: n candidates in shared memory holding the top-k set; the reference's
// steps on them in its order, then the inverse CDF in id order.
__device__ int pick_from_candidates(Shared& sh, int n, u64 k, const Weights& wt, float min_p, float top_p, float u) {
  sort_candidates<false>(sh, n);
  int kept = u64(n) < k ? n : int(k);
  const int j0 = int(2 * threadIdx.x), j1 = j0 + 1;
  const float w0 = j0 < kept ? wt.w(key_value(sh.key[j0])) : 0.0f;
  const float w1 = j1 < kept ? wt.w(key_value(sh.key[j1])) : 0.0f;
  if (min_p > 0.0f) {  // the prefix up to the first weight below min_p (at least one)
    const int first_below = block_min(j0 < kept && !(w0 >= min_p) ? j0 : j1 < kept && !(w1 >= min_p) ? j1 : kept, sh);
    kept = first_below > 1 ? first_below : 1;
  }
  if (top_p < 1.0f) {  // the shortest prefix reaching ceil(top_p * mass)
    const u64 q0 = j0 < kept ? wt.q(w0) : 0, q1 = j1 < kept ? wt.q(w1) : 0;
    if (threadIdx.x == 0) sh.cut = kept;  // replaced below (the scan's barriers order it)
    u64 total;
    const u64 before = block_scan(q0 + q1, sh, &total) - q0 - q1;
    const double t = ceil(double(top_p) * double(total));
    const u64 target = t >= double(total) ? total : t < 1.0 ? 1 : u64(t);
    if (j0 < kept && before < target && target <= before + q0) sh.cut = j0 + 1;
    if (j1 < kept && before + q0 < target && target <= before + q0 + q1) sh.cut = j1 + 1;
    __syncthreads();
    kept = sh.cut;
    __syncthreads();
  }
  // Inverse CDF in id order over the kept prefix.
  sort_candidates<true>(sh, kept);
  const u64 q0 = j0 < kept ? wt.q(wt.w(key_value(sh.key[j0]))) : 0;
  const u64 q1 = j1 < kept ? wt.q(wt.w(key_value(sh.key[j1]))) : 0;
  if (threadIdx.x == 0) sh.pick = int(sh.id[kept - 1]);  // replaced below: target < total
  u64 total;
  const u64 before = block_scan(q0 + q1, sh, &total) - q0 - q1;
  const u64 target = draw_target(u, total);
  if (before <= target && target < before + q0) sh.pick = int(sh.id[j0]);
  if (before + q0 <= target && target < before + q0 + q1) sh.pick = int(sh.id[j1]);
  __syncthreads();
  return sh.pick;
}

template <typename T>
__global__ void __launch_bounds__(kThreads) sample_kernel(const T* __restrict__ logits, int64_t vocab,
                                                          float temperature, int64_t top_k, float top_p, float min_p,
                                                          const float* __restrict__ uniforms,
                                                          int32_t* __restrict__ out) {
  __shared__ Shared sh;
  const T* row = logits + int64_t(blockIdx.x) * vocab;
  const float u = uniforms[blockIdx.x];

  float m = -INFINITY, non_finite = 0.0f;
  for_each_logit(row, vocab, [&](int64_t, float l, bool valid) {
    if (valid) m = fmaxf(m, l), non_finite = l != l || l == INFINITY ? 1.0f : non_finite;  // -inf: masked
  });
  if (block_max(non_finite, sh) > 0.0f) {  // broken logits: reported by the caller, never sampled
    if (threadIdx.x == 0) out[blockIdx.x] = -1;
    return;
  }
  const Weights wt{block_max(m, sh), 1.0f / temperature};
  const unsigned top_key = order_key(wt.max);

  const bool top_k_on = top_k > 0 && top_k < vocab;
  const u64 k = top_k_on ? u64(top_k) : u64(vocab);
  int pick;
  if (k <= u64(kCap)) {
    // Few kept: find the k best, hold them in shared memory, finish there.
    Keep keep;
    bool compactable = true;  // vocab <= kCap: every id
    if (vocab > kCap) select_top_k(row, vocab, top_key, k, true, sh, &keep, &compactable);
    const int n = compactable ? compact_from(row, vocab, keep.key, sh) : compact_ties(row, vocab, keep, sh);
    pick = pick_from_candidates(sh, n, k, wt, min_p, top_p, u);
  } else {
    // Many may be kept: describe the set by thresholds and go over the row.
    Keep keep;
    bool compactable = false;
    if (top_k_on) select_top_k(row, vocab, top_key, k, false, sh, &keep, &compactable);
    if (top_p < 1.0f) keep = select_top_p(row, vocab, top_key, wt, min_p, top_p, keep, sh);
    pick = pick_in_row(row, vocab, wt, min_p, keep, u, sh);
  }
  if (threadIdx.x == 0) out[blockIdx.x] = int32_t(pick);
}

}  // namespace

template <typename T>
void sample_rows(const T* logits, int64_t rows, int64_t vocab, const SamplingParams& p, const float* uniforms,
                 int32_t* out, Stream stream) {
  LLMRUN_CHECK(vocab >= 1 && vocab < (int64_t(1) << 24), "sample: vocab ", vocab, " (1 .. 2^24 - 1)");
  LLMRUN_CHECK(rows >= 0 && rows <= 0x7fffffff, "sample: rows ", rows);
  LLMRUN_CHECK(p.temperature > 0.0f && p.top_k >= 0 && p.top_p > 0.0f && p.top_p <= 1.0f && p.min_p >= 0.0f &&
                   p.min_p <= 1.0f,
               "sample: temperature ", p.temperature, " top_k ", p.top_k, " top_p ", p.top_p, " min_p ", p.min_p);
  if (rows == 0) return;
  launch("sample", sample_kernel<T>, dim3(unsigned(rows)), dim3(kThreads), 0, stream, logits, vocab, p.temperature,
         p.top_k, p.top_p, p.min_p, uniforms, out);
}

template void sample_rows<float>(const float*, int64_t, int64_t, const SamplingParams&, const float*, int32_t*,
                                 Stream);
template void sample_rows<bf16_t>(const bf16_t*, int64_t, int64_t, const SamplingParams&, const float*, int32_t*,
                                  Stream);
template void sample_rows<f16_t>(const f16_t*, int64_t, int64_t, const SamplingParams&, const float*, int32_t*,
                                 Stream);

}  // namespace llmrun::LLMRUN_CUDA_NS
