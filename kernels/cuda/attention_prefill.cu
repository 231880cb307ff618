#include "kernels/cuda/device_compat.cuh"
// Tiled causal attention (attention_prefill.cuh). Block (query tile, kv head [x head group]),
// 128 threads as 16 row groups x 8 column groups:
//   the query tile: kBM rows = (token, query head) pairs of one kv head, token-major, in
//   shared memory for the whole block;
//   for each run of tokens with one slot (a segment), for each tile of kBN positions up to
//   the run's last position:
//     S = Q K^T    thread (rg, cg) computes rows rg*kTM.. x keys cg, cg+8, .. (kTM x kTN),
//                  fp32, over the head row in 16-byte pieces;
//     online softmax per row: mask positions beyond the row's own (causal) and rows of other
//                  segments, running max m (shuffles across the 8 column lanes), rescale
//                  the accumulators by exp(m_old - m_new), p = exp(s - m_new) to shared memory;
//     O += P V     thread (rg, cg) owns rows rg*kTM.. x pieces cg, cg+8, .. of the head row.
//   then O / l (l summed across the 8 column lanes) is rounded to Act and stored.
// Shared memory rows are arrays of 16-byte pieces; piece c of row r sits at c ^ swizzle(r),
// so the 8 lanes of a column group hit 8 different bank groups without padding.
#include "kernels/cuda/attention_prefill.cuh"

#include <algorithm>
#include <cmath>

#include "kernels/cuda/act_vec.cuh"
#include "kernels/cuda/launch.cuh"
#include "runtime/error.h"

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

constexpr int kThreads = 128;
constexpr int kMaxHeadDim = 256;
constexpr unsigned kFull = 0xffffffffu;

template <typename Act, int kD>
struct Tiles {
  static constexpr int kDMax = kD > 0 ? kD : kMaxHeadDim;  // kD = 0: any head_dim <= 256
  static constexpr int kVec = vec16_elems<Act>();          // elements per 16-byte piece
  static constexpr int kPieces = kDMax / kVec;             // pieces per (largest) head row
  // Query and key tiles of 16 KiB / 8 KiB at most: with P, 33 KiB of shared memory or less.
  static constexpr int kRowsFit = 16384 / (kDMax * int(sizeof(Act)));
  static constexpr int kBM = kRowsFit < 64 ? kRowsFit : 64;  // query rows per tile
  static constexpr int kBN = kBM / 2;                         // positions per tile
  static constexpr int kTM = kBM / 16;                        // rows per thread
  static constexpr int kTN = kBN / 8;                         // keys per thread (S)
  static constexpr int kPPT = (kPieces + 7) / 8;              // pieces per thread (PV)
  static constexpr int kPStride = kBM + 4;  // P row stride: keeps 16-byte reads, spreads writes
  static constexpr int kQLoads = kBM * kPieces / kThreads;
  static constexpr int kKVLoads = kBN * kPieces / kThreads;
  static constexpr size_t kSmemBytes = size_t(kBM + kBN) * kPieces * 16 + size_t(kBN) * kPStride * sizeof(float);
  static_assert(kPieces % 8 == 0 && kTM >= 1 && kTN >= 1, "tile shape");
  static_assert(kBM * kPieces % kThreads == 0 && kBN * kPieces % kThreads == 0, "whole loads per thread");
  static_assert(kSmemBytes + 2 * kBM * sizeof(int32_t) <= 48 * 1024, "within the default shared memory");
};

// Piece c of a head row (16 bytes of Act), zero beyond head_dim.
template <typename Act, int kD>
__device__ __forceinline__ Vec16 load_piece(const Act* row, int c, int head_dim) {
  constexpr int kVec = vec16_elems<Act>();
  if constexpr (kD > 0) {
    (void)head_dim;
    return load_vec16(row + c * kVec);
  } else {
    float x[kVec];
    LLMRUN_UNROLL
    for (int e = 0; e < kVec; ++e) {
      const int d = c * kVec + e;
      x[e] = d < head_dim ? to_f32(row[d]) : 0.0f;
    }
    return vec16_pack<Act>(x);  // exact: every value came from Act
  }
}

// Rows [0, n_valid) of a [*, head_dim] slab into a [kBN][kPieces] tile (zeros elsewhere).
// Every load is issued before the first store.
template <typename Act, int kD>
__device__ __forceinline__ void load_kv_tile(Vec16* tile, const Act* rows, int n_valid, int head_dim, int n_pieces) {
  using T = Tiles<Act, kD>;
  Vec16 stage[T::kKVLoads];
  LLMRUN_UNROLL
  for (int n = 0; n < T::kKVLoads; ++n) {
    const int x = int(threadIdx.x) + n * kThreads, r = x / T::kPieces, c = x % T::kPieces;
    stage[n] = r < n_valid && c < n_pieces ? load_piece<Act, kD>(rows + int64_t(r) * head_dim, c, head_dim) : Vec16{};
  }
  LLMRUN_UNROLL
  for (int n = 0; n < T::kKVLoads; ++n) {
    const int x = int(threadIdx.x) + n * kThreads, r = x / T::kPieces, c = x % T::kPieces;
    store_vec16(tile + r * T::kPieces + (c ^ (r & 7)), stage[n]);
  }
}

__device__ __forceinline__ float quiet_nan() { return __int_as_float(0x7fffffff); }

// q: [rows, heads * D] (row stride q_stride); out: [rows, heads * D]. Dynamic shared memory:
// Tiles::kSmemBytes.
template <typename Act, int kD>
__global__ void __launch_bounds__(kThreads, 1)  // no occupancy target: never trade registers for spills
    attention_prefill_kernel(const Act* __restrict__ q, int64_t q_stride, const int32_t* __restrict__ slot_of,
                             const int32_t* __restrict__ pos_of, int32_t rows, KvLayer<Act> cache, int32_t heads,
                             float scale, Act* __restrict__ out) {
  using T = Tiles<Act, kD>;
  constexpr int kVec = T::kVec, kBM = T::kBM, kBN = T::kBN, kTM = T::kTM, kTN = T::kTN;
  const int D = kD > 0 ? kD : cache.head_dim;
  const int n_pieces = kD > 0 ? T::kPieces : (D + kVec - 1) / kVec;
  const int group = heads / cache.kv_heads;
  const int hpb = std::min(group, kBM);  // query heads per block
  const int head_groups = (group + hpb - 1) / hpb;
  const int kvh = int(blockIdx.y) / head_groups;
  const int head0 = kvh * group + int(blockIdx.y) % head_groups * hpb;
  const int n_heads = std::min(hpb, (kvh + 1) * group - head0);
  const int tokens = kBM / hpb;  // tokens per tile
  const int t0 = int(blockIdx.x) * tokens;
  const int n_tokens = std::min(tokens, rows - t0);
  const int tid = int(threadIdx.x), rg = tid / 8, cg = tid % 8;

  LLMRUN_DYNAMIC_SHARED(Vec16, smem);
  Vec16* q_tile = smem;                      // [kBM][kPieces], piece c of row r at c ^ ((r / kTM) & 7)
  Vec16* kv_tile = smem + kBM * T::kPieces;  // [kBN][kPieces], piece c of row r at c ^ (r & 7)
  float* p_tile = reinterpret_cast<float*>(kv_tile + kBN * T::kPieces);  // [kBN][kPStride]
  __shared__ int32_t tok_slot[kBM], tok_pos[kBM];  // the tile's tokens; slot -1: none or invalid

  for (int t = tid; t < kBM; t += kThreads) {
    int32_t s = -1, p = -1;
    if (t < n_tokens) {
      s = slot_of[t0 + t];
      p = pos_of[t0 + t];
      if (s < 0 || s >= cache.slots || p < 0 || p >= cache.capacity) s = -1;
    }
    tok_slot[t] = s;
    tok_pos[t] = p;
  }
  LLMRUN_UNROLL
  for (int n = 0; n < T::kQLoads; ++n) {
    const int x = tid + n * kThreads, r = x / T::kPieces, c = x % T::kPieces;
    const int t = r / hpb, hl = r % hpb;
    Vec16 piece{};
    if (t < n_tokens && hl < n_heads && c < n_pieces)
      piece = load_piece<Act, kD>(q + (t0 + t) * q_stride + int64_t(head0 + hl) * D, c, D);
    store_vec16(q_tile + r * T::kPieces + (c ^ ((r / kTM) & 7)), piece);
  }

  float o[kTM][T::kPPT * kVec];  // unnormalised outputs of this thread's rows and pieces
  float m[kTM], l[kTM];          // running max; this thread's part of the running sum
  LLMRUN_UNROLL
  for (int i = 0; i < kTM; ++i) {
    m[i] = -INFINITY;
    l[i] = 0.0f;
    LLMRUN_UNROLL
    for (int x = 0; x < T::kPPT * kVec; ++x) o[i][x] = 0.0f;
  }
  __syncthreads();

  // Segments: maximal runs of the tile's tokens with one slot. Every thread walks the same
  // runs (uniform control flow around the barriers).
  int seg_begin = 0;
  for (;;) {
    while (seg_begin < n_tokens && tok_slot[seg_begin] < 0) ++seg_begin;
    if (seg_begin >= n_tokens) break;
    const int32_t slot = tok_slot[seg_begin];
    int seg_end = seg_begin, last = -1;  // last: the run's largest position
    while (seg_end < n_tokens && tok_slot[seg_end] == slot) last = std::max(last, int(tok_pos[seg_end++]));
    int row_last[kTM];  // this thread's rows: last visible position, -1 outside the run
    LLMRUN_UNROLL
    for (int i = 0; i < kTM; ++i) {
      const int r = rg * kTM + i, t = r / hpb;
      row_last[i] = t >= seg_begin && t < seg_end && r % hpb < n_heads ? tok_pos[t] : -1;
    }
    const int64_t at = kvh * cache.head_stride;
    const Act* const keys = cache.keys(slot) + at;
    const Act* const values = cache.values(slot) + at;
    for (int k0 = 0; k0 <= last; k0 += kBN) {
      const int n_valid = std::min(kBN, last + 1 - k0);
      load_kv_tile<Act, kD>(kv_tile, keys + int64_t(k0) * D, n_valid, D, n_pieces);
      __syncthreads();

      // S = Q K^T for this thread's kTM rows x kTN keys, fp32, sequential over the head row.
      float s[kTM][kTN];
      LLMRUN_UNROLL
      for (int i = 0; i < kTM; ++i)
        LLMRUN_UNROLL
        for (int j = 0; j < kTN; ++j) s[i][j] = 0.0f;
      for (int c = 0; c < n_pieces; ++c) {
        Vec16 qr[kTM], kr[kTN];
        LLMRUN_UNROLL
        for (int i = 0; i < kTM; ++i) {
          const int r = rg * kTM + i;
          qr[i] = load_vec16(q_tile + r * T::kPieces + (c ^ (rg & 7)));
        }
        LLMRUN_UNROLL
        for (int j = 0; j < kTN; ++j) {
          const int key = cg + 8 * j;
          kr[j] = load_vec16(kv_tile + key * T::kPieces + (c ^ (key & 7)));
        }
        LLMRUN_UNROLL
        for (int e = 0; e < kVec; ++e) {
          float qe[kTM], ke[kTN];
          LLMRUN_UNROLL
          for (int i = 0; i < kTM; ++i) qe[i] = vec16_get<Act>(qr[i], e);
          LLMRUN_UNROLL
          for (int j = 0; j < kTN; ++j) ke[j] = vec16_get<Act>(kr[j], e);
          LLMRUN_UNROLL
          for (int i = 0; i < kTM; ++i)
            LLMRUN_UNROLL
            for (int j = 0; j < kTN; ++j) s[i][j] += qe[i] * ke[j];
        }
      }

      // Online softmax: mask, new running max, rescale, p to shared memory.
      LLMRUN_UNROLL
      for (int i = 0; i < kTM; ++i) {
        float mx = -INFINITY;
        LLMRUN_UNROLL
        for (int j = 0; j < kTN; ++j) {
          s[i][j] = k0 + cg + 8 * j <= row_last[i] ? s[i][j] * scale : -INFINITY;
          mx = fmaxf(mx, s[i][j]);
        }
        mx = fmaxf(mx, __shfl_xor_sync(kFull, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(kFull, mx, 2));
        mx = fmaxf(mx, __shfl_xor_sync(kFull, mx, 4));
        const float m_new = fmaxf(m[i], mx);
        // Nothing visible yet: keep everything at zero (exp(-inf - 0) = 0), no rescale.
        const float shift = m_new == -INFINITY ? 0.0f : m_new;
        const float alpha = m_new == -INFINITY ? 1.0f : expf(m[i] - m_new);  // exp(-inf) = 0
        m[i] = m_new;
        float psum = 0.0f;
        LLMRUN_UNROLL
        for (int j = 0; j < kTN; ++j) {
          const float p = expf(s[i][j] - shift);
          psum += p;
          p_tile[(cg + 8 * j) * T::kPStride + rg * kTM + i] = p;
        }
        l[i] = l[i] * alpha + psum;
        LLMRUN_UNROLL
        for (int x = 0; x < T::kPPT * kVec; ++x) o[i][x] *= alpha;
      }
      __syncthreads();  // P written; every read of the key tile done

      load_kv_tile<Act, kD>(kv_tile, values + int64_t(k0) * D, n_valid, D, n_pieces);
      __syncthreads();

      // O += P V over the tile's valid positions (beyond them p = 0 for every row).
      for (int k = 0; k < n_valid; ++k) {
        float p[kTM];
        LLMRUN_UNROLL
        for (int i = 0; i < kTM; ++i) p[i] = p_tile[k * T::kPStride + rg * kTM + i];
        LLMRUN_UNROLL
        for (int jp = 0; jp < T::kPPT; ++jp) {
          const int c = cg + 8 * jp;
          if (kD == 0 && c >= n_pieces) continue;
          const Vec16 vr = load_vec16(kv_tile + k * T::kPieces + (c ^ (k & 7)));
          LLMRUN_UNROLL
          for (int e = 0; e < kVec; ++e) {
            const float v = vec16_get<Act>(vr, e);
            LLMRUN_UNROLL
            for (int i = 0; i < kTM; ++i) o[i][jp * kVec + e] += p[i] * v;
          }
        }
      }
      __syncthreads();  // the value tile and P are overwritten next
    }
    seg_begin = seg_end;
  }

  // out = O / l, l summed over the row's 8 column lanes.
  LLMRUN_UNROLL
  for (int i = 0; i < kTM; ++i) {
    l[i] += __shfl_xor_sync(kFull, l[i], 1);
    l[i] += __shfl_xor_sync(kFull, l[i], 2);
    l[i] += __shfl_xor_sync(kFull, l[i], 4);
  }
  LLMRUN_UNROLL
  for (int i = 0; i < kTM; ++i) {
    const int r = rg * kTM + i, t = r / hpb, hl = r % hpb;
    if (t >= n_tokens || hl >= n_heads) continue;
    Act* dst = out + int64_t(t0 + t) * heads * D + int64_t(head0 + hl) * D;
    const bool valid = tok_slot[t] >= 0;
    LLMRUN_UNROLL
    for (int jp = 0; jp < T::kPPT; ++jp) {
      const int c = cg + 8 * jp;
      if (c >= n_pieces) continue;
      float x[kVec];
      LLMRUN_UNROLL
      for (int e = 0; e < kVec; ++e) x[e] = valid ? o[i][jp * kVec + e] / l[i] : quiet_nan();
      if constexpr (kD > 0) {
        store_vec16(dst + c * kVec, vec16_pack<Act>(x));
      } else {
        LLMRUN_UNROLL
        for (int e = 0; e < kVec; ++e)
          if (c * kVec + e < D) dst[c * kVec + e] = from_f32<Act>(x[e]);
      }
    }
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <typename Act, int kD>
void launch_prefill(const Act* q, int64_t q_stride, const int32_t* slot, const int32_t* pos, int32_t rows,
                    const KvLayer<Act>& cache, int32_t heads, float scale, Act* out, Stream stream) {
  using T = Tiles<Act, kD>;
  const int group = heads / cache.kv_heads;
  const int hpb = std::min(group, T::kBM);
  const int head_groups = (group + hpb - 1) / hpb;
  const int tokens = T::kBM / hpb;
  const int64_t tiles = (int64_t(rows) + tokens - 1) / tokens;
  LLMRUN_CHECK(tiles < (int64_t(1) << 31) && int64_t(cache.kv_heads) * head_groups <= 65535, "attention_prefill: ",
               rows, " rows, ", cache.kv_heads * head_groups, " head blocks");
  launch("attention_prefill", attention_prefill_kernel<Act, kD>,
         dim3(unsigned(tiles), unsigned(cache.kv_heads * head_groups)), dim3(kThreads), T::kSmemBytes, stream, q,
         q_stride, slot, pos, rows, cache, heads, scale, out);
}

}  // namespace

template <typename Act>
void attention_prefill(const Act* q, int64_t q_stride, const int32_t* slot, const int32_t* pos, int32_t rows,
                       const KvLayer<Act>& cache, int32_t heads, float scale, Act* out, Stream stream) {
  if (rows <= 0) return;
  LLMRUN_CHECK(cache.kv_heads > 0 && heads > 0 && heads % cache.kv_heads == 0, "heads ", heads, " kv_heads ",
               cache.kv_heads);
  LLMRUN_CHECK(cache.head_dim > 0 && cache.head_dim <= kMaxHeadDim, "head_dim ", cache.head_dim, " (1..",
               kMaxHeadDim, ")");
  LLMRUN_CHECK(cache.valid(), "attention_prefill: cache ", cache.describe());
  LLMRUN_CHECK(q_stride >= int64_t(heads) * cache.head_dim, "q_stride ", q_stride);
  constexpr int kVec = vec16_elems<Act>();
  const bool vec = q_stride % kVec == 0 && cache.head_stride % kVec == 0 && aligned16(q) && aligned16(out) &&
                   cache.bases_aligned16();
  if (vec && cache.head_dim == 128)
    launch_prefill<Act, 128>(q, q_stride, slot, pos, rows, cache, heads, scale, out, stream);
  else if (vec && cache.head_dim == 64)
    launch_prefill<Act, 64>(q, q_stride, slot, pos, rows, cache, heads, scale, out, stream);
  else
    launch_prefill<Act, 0>(q, q_stride, slot, pos, rows, cache, heads, scale, out, stream);
}

#define LLMRUN_INSTANTIATE(Act)                                                                                    \
  template void attention_prefill<Act>(const Act*, int64_t, const int32_t*, const int32_t*, int32_t,                \
                                       const KvLayer<Act>&, int32_t, float, Act*, Stream);
LLMRUN_INSTANTIATE(float)
LLMRUN_INSTANTIATE(bf16_t)
LLMRUN_INSTANTIATE(f16_t)
#undef LLMRUN_INSTANTIATE

}  // namespace llmrun::LLMRUN_CUDA_NS
