#include "kernels/cuda/device_compat.cuh"
// Flash-decoding (attention_decode.cuh). Block (chunk c, kv head [x head group], row r),
// 128 threads, serves up to 8 query heads of one kv head over positions
// [c * chunk_len, min((c + 1) * chunk_len, pos[r] + 1)) of the row's slot:
//   pass 1  scores[j][h] = (q_h . k_j) * scale, fp32. Lanes split a key row into 16-byte
//           pieces (kD / kVec lanes per key, so a warp reads whole rows, coalesced); each
//           lane keeps its piece of every query head in registers, so a key row is loaded
//           once for all heads of the group; the per-head partial dots are summed across
//           the key's lanes by a reduce-scatter (log2(lanes) shuffles for all heads, not per
//           head).
//   stats   per head: m = max_j scores, p_j = exp(score_j - m), l = sum_j p_j (one warp per
//           head, over the chunk's scores in shared memory: no online rescaling inside a chunk).
//   pass 2  o_h += p_j[h] * v_j, lanes again split each value row into 16-byte pieces.
//   then    the per-lane partial outputs are summed through shared memory; with one chunk
//           the block writes out = o / l, otherwise (o, m, l) to the scratch buffer and the
//           combine kernel merges chunks: out = sum_c e^(m_c - M) o_c / sum_c e^(m_c - M) l_c.
#include "kernels/cuda/attention_decode.cuh"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/cuda/act_vec.cuh"
#include "kernels/cuda/launch.cuh"
#include "runtime/error.h"

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr int kMaxGroup = 8;  // query heads per block; larger GQA groups take several blocks
constexpr int kMaxHeadDim = 256;
constexpr int kChunkQuantum = 64;  // chunk lengths are multiples of this ...
constexpr int kMaxChunk = 512;     // ... and at most this (the scores live in shared memory)
// Automatic chunking aims for this many blocks: 4 resident 128-thread blocks on each of an
// H200's 132 SMs. Fixed rather than queried so a plan never depends on the device.
constexpr int64_t kTargetBlocks = 528;
constexpr int kCombineThreads = 128;
constexpr unsigned kFull = 0xffffffffu;

template <typename Act, int kD>
struct Geometry {
  // kD = 64 or 128: lane `lig` of a key holds elements [lig * kVec, (lig + 1) * kVec) of the
  // head row, one 16-byte load. kD = 0 (any head_dim <= 256): a key takes the whole warp and
  // lane l holds elements l, l + 32, ..., l + 224 (kLoads element loads, guarded by head_dim).
  // Either way element (i, e) of a lane is head-row element (i * kLanesPerKey + lig) * kVec + e.
  static constexpr int kVec = kD > 0 ? vec16_elems<Act>() : 1;
  static constexpr int kLanesPerKey = kD > 0 ? kD / kVec : 32;
  static constexpr int kLoads = kD > 0 ? 1 : kMaxHeadDim / 32;
  static constexpr int kElems = kLoads * kVec;
  static constexpr int kKeysPerWarp = 32 / kLanesPerKey;
  static constexpr int kSlots = kWarps * kKeysPerWarp;  // keys the block reads at once
  // Up to 8 loads in flight per lane (latency hiding), within one chunk quantum.
  static constexpr int kUnroll = 8 / kLoads < kChunkQuantum / kSlots ? 8 / kLoads : kChunkQuantum / kSlots;
  static constexpr int kStep = kSlots * kUnroll;  // keys per step of a pass
  using Raw = std::conditional_t<(kD > 0), Vec16, Act>;  // one load, unconverted
  static_assert(kLanesPerKey >= kMaxGroup && kLanesPerKey <= 32 && 32 % kLanesPerKey == 0, "lanes per key");
  static_assert(kChunkQuantum % kStep == 0, "a chunk is whole steps");
};

template <typename Act, int kD>
__device__ __forceinline__ void load_lane(const Act* row, int lig, int head_dim,
                                          typename Geometry<Act, kD>::Raw (&raw)[Geometry<Act, kD>::kLoads]) {
  if constexpr (kD > 0) {
    raw[0] = load_vec16(row + lig * Geometry<Act, kD>::kVec);
  } else {
    LLMRUN_UNROLL
    for (int i = 0; i < Geometry<Act, kD>::kLoads; ++i) {
      const int d = i * 32 + lig;
      raw[i] = d < head_dim ? row[d] : Act{};
    }
  }
}

template <typename Act, int kD>
__device__ __forceinline__ float raw_get(const typename Geometry<Act, kD>::Raw& raw, int e) {
  if constexpr (kD > 0) {
    return vec16_get<Act>(raw, e);
  } else {
    (void)e;
    return to_f32(raw);
  }
}

// Reduce-scatter of kCount per-head partial sums over the lanes of one key (offsets
// kOffset, kOffset / 2, ..., 1): each step halves the heads a lane keeps and adds the other
// half from its partner, so G heads over S lanes cost G - 1 + log2(S / G) shuffles instead
// of G * log2(S). Afterwards v[0] of lane `lig` is the full sum for head lig / (S / G).
template <int kCount, int kOffset, int N>
__device__ __forceinline__ void reduce_scatter(float (&v)[N], int lane) {
  if constexpr (kOffset >= 1) {
    if constexpr (kCount > 1) {
      constexpr int kHalf = kCount / 2;
      const bool upper = (lane & kOffset) != 0;
      LLMRUN_UNROLL
      for (int i = 0; i < kHalf; ++i) {
        const float send = upper ? v[i] : v[i + kHalf];
        const float keep = upper ? v[i + kHalf] : v[i];
        v[i] = keep + __shfl_xor_sync(kFull, send, kOffset);
      }
      reduce_scatter<kHalf, kOffset / 2>(v, lane);
    } else {
      v[0] += __shfl_xor_sync(kFull, v[0], kOffset);
      reduce_scatter<1, kOffset / 2>(v, lane);
    }
  }
}

__device__ __forceinline__ float warp_max(float v) {
  LLMRUN_UNROLL
  for (int o = 16; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(kFull, v, o));
  return v;
}

__device__ __forceinline__ float warp_sum(float v) {
  LLMRUN_UNROLL
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(kFull, v, o);
  return v;
}

__device__ __forceinline__ float quiet_nan() { return __int_as_float(0x7fffffff); }

// q: [rows, heads * D] (row stride q_stride); out: [rows, heads * D]; part_o: [rows, heads,
// num_chunks, D] fp32; part_ml: [rows, heads, num_chunks, 2] fp32 (max, sum). Dynamic shared
// memory: max(chunk_len * kGroup, kSlots * kGroup * D) floats.
template <typename Act, int kD, int kGroup>
__global__ void __launch_bounds__(kThreads, 4)
    attention_decode_kernel(const Act* __restrict__ q, int64_t q_stride, const int32_t* __restrict__ slot_of,
                            const int32_t* __restrict__ pos_of, KvLayer<Act> cache, int32_t heads, int32_t max_len,
                            float scale, int32_t chunk_len, int32_t num_chunks, float* __restrict__ part_o,
                            float* __restrict__ part_ml, Act* __restrict__ out) {
  using G = Geometry<Act, kD>;
  using Raw = typename G::Raw;
  const int D = kD > 0 ? kD : cache.head_dim;
  const int group = heads / cache.kv_heads;
  const int head_groups = (group + kGroup - 1) / kGroup;
  const int kvh = int(blockIdx.y) / head_groups;
  const int head0 = kvh * group + int(blockIdx.y) % head_groups * kGroup;  // first query head here
  const int n_heads = std::min(kGroup, (kvh + 1) * group - head0);
  const int row = int(blockIdx.z), chunk = int(blockIdx.x), tid = int(threadIdx.x);
  const int32_t slot = slot_of[row], pos = pos_of[row];
  Act* out_row = out + int64_t(row) * heads * D;
  if (slot < 0 || slot >= cache.slots || pos < 0 || pos >= max_len) {  // max_len <= capacity
    if (num_chunks == 1)
      for (int i = tid; i < n_heads * D; i += kThreads) out_row[head0 * D + i] = from_f32<Act>(quiet_nan());
    return;  // with several chunks the combine kernel writes the NaNs
  }
  const int begin = chunk * chunk_len;
  if (begin > pos) return;  // beyond this row's last position (the combine kernel stops before it)
  const int n_keys = std::min(chunk_len, pos + 1 - begin);
  const int64_t at = kvh * cache.head_stride + int64_t(begin) * D;
  const Act* keys = cache.keys(slot) + at;  // [n_keys, D]
  const Act* values = cache.values(slot) + at;

  LLMRUN_DYNAMIC_SHARED(float, smem);
  float* scores = smem;  // [n_keys, kGroup]: scores, then exp(score - head max)
  __shared__ float head_max[kGroup], head_sum[kGroup];

  const int lane = tid % 32, warp = tid / 32;
  const int lig = lane % G::kLanesPerKey;                           // lane within its key
  const int key_slot = warp * G::kKeysPerWarp + lane / G::kLanesPerKey;  // 0 .. kSlots - 1

  // Keys in flight per lane: halved when the query registers of 8 heads leave no room.
  constexpr int kUnroll = kGroup * G::kElems >= 64 && G::kUnroll > 1 ? G::kUnroll / 2 : G::kUnroll;
  constexpr int kStep = G::kSlots * kUnroll;

  // This lane's elements of each query head, fp32 (zero for heads beyond n_heads).
  float qv[kGroup][G::kElems];
  LLMRUN_UNROLL
  for (int h = 0; h < kGroup; ++h) {
    Raw raw[G::kLoads] = {};
    if (h < n_heads) load_lane<Act, kD>(q + row * q_stride + int64_t(head0 + h) * D, lig, D, raw);
    LLMRUN_UNROLL
    for (int i = 0; i < G::kLoads; ++i)
      LLMRUN_UNROLL
      for (int e = 0; e < G::kVec; ++e) qv[h][i * G::kVec + e] = raw_get<Act, kD>(raw[i], e);
  }

  // Pass 1: scores. Key j of a step is first + u * kSlots + key_slot: at fixed u a warp reads
  // kKeysPerWarp consecutive rows, i.e. contiguous memory.
  constexpr int kHeadLanes = G::kLanesPerKey / kGroup;  // lanes that end up with one head's sum
  for (int first = 0; first < n_keys; first += kStep) {
    Raw kr[kUnroll][G::kLoads];
    LLMRUN_UNROLL
    for (int u = 0; u < kUnroll; ++u) {
      const int j = first + u * G::kSlots + key_slot;
      if (j < n_keys) {
        load_lane<Act, kD>(keys + int64_t(j) * D, lig, D, kr[u]);
      } else {
        LLMRUN_UNROLL
        for (int i = 0; i < G::kLoads; ++i) kr[u][i] = Raw{};
      }
    }
    LLMRUN_UNROLL
    for (int u = 0; u < kUnroll; ++u) {
      float part[kGroup];
      LLMRUN_UNROLL
      for (int h = 0; h < kGroup; ++h) {
        float acc = 0.0f;
        LLMRUN_UNROLL
        for (int i = 0; i < G::kLoads; ++i)
          LLMRUN_UNROLL
          for (int e = 0; e < G::kVec; ++e) acc += qv[h][i * G::kVec + e] * raw_get<Act, kD>(kr[u][i], e);
        part[h] = acc;
      }
      reduce_scatter<kGroup, G::kLanesPerKey / 2>(part, lane);
      const int j = first + u * G::kSlots + key_slot;
      if (j < n_keys && lig % kHeadLanes == 0) scores[j * kGroup + lig / kHeadLanes] = part[0] * scale;
    }
  }
  __syncthreads();

  // Softmax statistics of the chunk, one warp per head.
  for (int h = warp; h < kGroup; h += kWarps) {
    float m = -INFINITY;
    for (int j = lane; j < n_keys; j += 32) m = fmaxf(m, scores[j * kGroup + h]);
    m = warp_max(m);
    float l = 0.0f;
    for (int j = lane; j < n_keys; j += 32) {
      const float p = expf(scores[j * kGroup + h] - m);
      scores[j * kGroup + h] = p;
      l += p;
    }
    l = warp_sum(l);
    if (lane == 0) head_max[h] = m, head_sum[h] = l;
  }
  __syncthreads();

  // Pass 2: unnormalised outputs, acc[h][lane's elements] = sum_j p_j[h] * v_j.
  float acc[kGroup][G::kElems];
  LLMRUN_UNROLL
  for (int h = 0; h < kGroup; ++h)
    LLMRUN_UNROLL
    for (int x = 0; x < G::kElems; ++x) acc[h][x] = 0.0f;
  for (int first = 0; first < n_keys; first += kStep) {
    Raw vr[kUnroll][G::kLoads];
    LLMRUN_UNROLL
    for (int u = 0; u < kUnroll; ++u) {
      const int j = first + u * G::kSlots + key_slot;
      if (j < n_keys) {
        load_lane<Act, kD>(values + int64_t(j) * D, lig, D, vr[u]);
      } else {
        LLMRUN_UNROLL
        for (int i = 0; i < G::kLoads; ++i) vr[u][i] = Raw{};
      }
    }
    LLMRUN_UNROLL
    for (int u = 0; u < kUnroll; ++u) {
      const int j = first + u * G::kSlots + key_slot;
      if (j >= n_keys) continue;
      float p[kGroup];
      LLMRUN_UNROLL
      for (int h = 0; h < kGroup; ++h) p[h] = scores[j * kGroup + h];
      LLMRUN_UNROLL
      for (int i = 0; i < G::kLoads; ++i)
        LLMRUN_UNROLL
        for (int e = 0; e < G::kVec; ++e) {
          const float v = raw_get<Act, kD>(vr[u][i], e);
          LLMRUN_UNROLL
          for (int h = 0; h < kGroup; ++h) acc[h][i * G::kVec + e] += p[h] * v;
        }
    }
  }
  __syncthreads();  // every read of `scores` is done: the space is reused below

  // Sum the kSlots partial outputs (each lane group saw different keys) in a fixed order.
  float* partial = smem;  // [kSlots, kGroup, D]
  LLMRUN_UNROLL
  for (int h = 0; h < kGroup; ++h)
    LLMRUN_UNROLL
    for (int i = 0; i < G::kLoads; ++i)
      LLMRUN_UNROLL
      for (int e = 0; e < G::kVec; ++e) {
        const int d = (i * G::kLanesPerKey + lig) * G::kVec + e;
        if (kD > 0 || d < D) partial[(key_slot * kGroup + h) * D + d] = acc[h][i * G::kVec + e];
      }
  __syncthreads();
  for (int x = tid; x < n_heads * D; x += kThreads) {
    const int h = x / D, d = x % D;
    float o = 0.0f;
    for (int k = 0; k < G::kSlots; ++k) o += partial[(k * kGroup + h) * D + d];
    if (num_chunks == 1)
      out_row[(head0 + h) * D + d] = from_f32<Act>(o / head_sum[h]);
    else
      part_o[((int64_t(row) * heads + head0 + h) * num_chunks + chunk) * D + d] = o;
  }
  if (num_chunks > 1 && tid < n_heads) {
    float* ml = part_ml + ((int64_t(row) * heads + head0 + tid) * num_chunks + chunk) * 2;
    ml[0] = head_max[tid];
    ml[1] = head_sum[tid];
  }
}

// Every thread gets the result; contains __syncthreads (call from all threads).
template <bool kMax>
__device__ __forceinline__ float block_reduce(float v) {
  __shared__ float partial[kCombineThreads / 32];
  v = kMax ? warp_max(v) : warp_sum(v);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
  __syncthreads();
  float r = partial[0];
  for (int w = 1; w < kCombineThreads / 32; ++w) r = kMax ? fmaxf(r, partial[w]) : r + partial[w];
  __syncthreads();  // partial is reused by the next call
  return r;
}

// Block (head, row): out[row, head] = sum_c w_c o_c / sum_c w_c l_c, w_c = exp(m_c - M),
// over the chunks c <= pos / chunk_len that the row has. Dynamic shared memory: num_chunks
// floats (the weights).
template <typename Act>
__global__ void __launch_bounds__(kCombineThreads)
    attention_decode_combine_kernel(const int32_t* __restrict__ slot_of, const int32_t* __restrict__ pos_of,
                                    int32_t slots, int32_t max_len, int32_t heads, int32_t head_dim, int32_t chunk_len,
                                    int32_t num_chunks, const float* __restrict__ part_o,
                                    const float* __restrict__ part_ml, Act* __restrict__ out) {
  const int head = int(blockIdx.x), row = int(blockIdx.y), tid = int(threadIdx.x);
  Act* o = out + (int64_t(row) * heads + head) * head_dim;
  const int32_t slot = slot_of[row], pos = pos_of[row];
  if (slot < 0 || slot >= slots || pos < 0 || pos >= max_len) {
    for (int d = tid; d < head_dim; d += kCombineThreads) o[d] = from_f32<Act>(quiet_nan());
    return;
  }
  const int n = pos / chunk_len + 1;
  const int64_t first = (int64_t(row) * heads + head) * num_chunks;
  const float* ml = part_ml + first * 2;
  LLMRUN_DYNAMIC_SHARED(float, weight);  // [num_chunks]
  float m = -INFINITY;
  for (int c = tid; c < n; c += kCombineThreads) m = fmaxf(m, ml[2 * c]);
  m = block_reduce<true>(m);
  float l = 0.0f;
  for (int c = tid; c < n; c += kCombineThreads) {
    const float w = expf(ml[2 * c] - m);
    weight[c] = w;
    l += w * ml[2 * c + 1];
  }
  l = block_reduce<false>(l);  // its barrier also publishes `weight`
  for (int d = tid; d < head_dim; d += kCombineThreads) {
    float acc = 0.0f;
    for (int c = 0; c < n; ++c) acc += weight[c] * part_o[(first + c) * head_dim + d];
    o[d] = from_f32<Act>(acc / l);
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Query heads per block for a GQA group: the next power of two, at most kMaxGroup.
int block_group(int group) {
  int g = 1;
  while (g < group && g < kMaxGroup) g *= 2;
  return g;
}

template <typename Act, int kD, int kGroup>
void launch_decode(const Act* q, int64_t q_stride, const int32_t* slot, const int32_t* pos, int32_t rows,
                   int32_t max_len, const KvLayer<Act>& cache, int32_t heads, float scale, const DecodePlan& plan,
                   float* scratch, Act* out, Stream stream) {
  using G = Geometry<Act, kD>;
  const int group = heads / cache.kv_heads;
  const int head_groups = (group + kGroup - 1) / kGroup;
  const size_t smem = sizeof(float) * std::max<size_t>(size_t(plan.chunk_len) * kGroup,
                                                       size_t(G::kSlots) * kGroup * size_t(cache.head_dim));
  float* part_o = scratch;
  float* part_ml = plan.num_chunks > 1 ? scratch + size_t(rows) * heads * plan.num_chunks * cache.head_dim : nullptr;
  launch("attention_decode", attention_decode_kernel<Act, kD, kGroup>,
         dim3(unsigned(plan.num_chunks), unsigned(cache.kv_heads * head_groups), unsigned(rows)), dim3(kThreads), smem,
         stream, q, q_stride, slot, pos, cache, heads, max_len, scale, plan.chunk_len, plan.num_chunks, part_o, part_ml,
         out);
  if (plan.num_chunks > 1)
    launch("attention_decode_combine", attention_decode_combine_kernel<Act>, dim3(unsigned(heads), unsigned(rows)),
           dim3(kCombineThreads), sizeof(float) * size_t(plan.num_chunks), stream, slot, pos, cache.slots, max_len,
           heads, cache.head_dim, plan.chunk_len, plan.num_chunks, static_cast<const float*>(part_o),
           static_cast<const float*>(part_ml), out);
}

template <typename Act, int kD, typename... Args>
void launch_decode_group(int group, Args&&... args) {
  switch (block_group(group)) {
    case 1: return launch_decode<Act, kD, 1>(args...);
    case 2: return launch_decode<Act, kD, 2>(args...);
    case 4: return launch_decode<Act, kD, 4>(args...);
    case 8: return launch_decode<Act, kD, 8>(args...);
  }
  fail("attention_decode: no kernel for a group of ", group, " query heads");
}

}  // namespace

DecodePlan plan_attention_decode(int32_t rows, int32_t heads, int32_t kv_heads, int32_t head_dim, int32_t max_len,
                                 int32_t chunk_len) {
  LLMRUN_CHECK(rows > 0 && kv_heads > 0 && heads > 0 && heads % kv_heads == 0, "rows ", rows, " heads ", heads,
               " kv_heads ", kv_heads);
  LLMRUN_CHECK(head_dim > 0 && head_dim <= kMaxHeadDim, "head_dim ", head_dim, " (1..", kMaxHeadDim, ")");
  LLMRUN_CHECK(max_len > 0, "max_len ", max_len);
  DecodePlan plan;
  if (chunk_len == 0) {
    const int group = heads / kv_heads, bg = block_group(group);
    const int64_t blocks_per_chunk = int64_t(rows) * kv_heads * ((group + bg - 1) / bg);
    const int64_t splits = std::max<int64_t>(1, (kTargetBlocks + blocks_per_chunk - 1) / blocks_per_chunk);
    const int64_t len = (max_len + splits - 1) / splits;
    plan.chunk_len = int32_t(std::clamp<int64_t>((len + kChunkQuantum - 1) / kChunkQuantum * kChunkQuantum,
                                                 kChunkQuantum, kMaxChunk));
  } else {
    LLMRUN_CHECK(chunk_len % kChunkQuantum == 0 && chunk_len > 0 && chunk_len <= kMaxChunk, "chunk_len ", chunk_len,
                 " (a multiple of ", kChunkQuantum, " up to ", kMaxChunk, ")");
    plan.chunk_len = chunk_len;
  }
  plan.num_chunks = (max_len + plan.chunk_len - 1) / plan.chunk_len;
  plan.scratch_floats = plan.num_chunks > 1 ? size_t(rows) * heads * plan.num_chunks * (size_t(head_dim) + 2) : 0;
  return plan;
}

template <typename Act>
void attention_decode(const Act* q, int64_t q_stride, const int32_t* slot, const int32_t* pos, int32_t rows,
                      int32_t max_len, const KvLayer<Act>& cache, int32_t heads, float scale, float* scratch,
                      size_t scratch_floats, Act* out, Stream stream, int32_t chunk_len) {
  if (rows <= 0) return;
  LLMRUN_CHECK(rows <= 65535, "attention_decode: ", rows, " rows (at most 65535; larger runs are prefill)");
  const DecodePlan plan = plan_attention_decode(rows, heads, cache.kv_heads, cache.head_dim, max_len, chunk_len);
  LLMRUN_CHECK(max_len <= cache.capacity, "max_len ", max_len, " > cache capacity ", cache.capacity);
  LLMRUN_CHECK(cache.valid(), "attention_decode: cache ", cache.describe());
  LLMRUN_CHECK(q_stride >= int64_t(heads) * cache.head_dim, "q_stride ", q_stride);
  LLMRUN_CHECK(scratch_floats >= plan.scratch_floats && (plan.scratch_floats == 0 || scratch), "attention_decode: ",
               scratch_floats, " scratch floats, ", plan.scratch_floats, " needed (plan_attention_decode)");
  constexpr int kVec = vec16_elems<Act>();
  const bool vec = q_stride % kVec == 0 && cache.head_stride % kVec == 0 && aligned16(q) && cache.bases_aligned16();
  const int group = heads / cache.kv_heads;
  if (vec && cache.head_dim == 128)
    launch_decode_group<Act, 128>(group, q, q_stride, slot, pos, rows, max_len, cache, heads, scale, plan, scratch, out,
                                  stream);
  else if (vec && cache.head_dim == 64)
    launch_decode_group<Act, 64>(group, q, q_stride, slot, pos, rows, max_len, cache, heads, scale, plan, scratch, out,
                                 stream);
  else
    launch_decode_group<Act, 0>(group, q, q_stride, slot, pos, rows, max_len, cache, heads, scale, plan, scratch, out,
                                stream);
}

#define LLMRUN_INSTANTIATE(Act)                                                                                    \
  template void attention_decode<Act>(const Act*, int64_t, const int32_t*, const int32_t*, int32_t, int32_t,         \
                                      const KvLayer<Act>&, int32_t, float, float*, size_t, Act*, Stream, int32_t);
LLMRUN_INSTANTIATE(float)
LLMRUN_INSTANTIATE(bf16_t)
LLMRUN_INSTANTIATE(f16_t)
#undef LLMRUN_INSTANTIATE

}  // namespace llmrun::LLMRUN_CUDA_NS
