#pragma once
// Causal GQA attention written once against a vector layer (vec_avx2.h, vec_avx512.h);
// included only by attention_avx2.cpp and attention_avx512.cpp (internal linkage, as
// linear_kernels.h).
//
// A work item is kAttentionRows query rows of one KV head: (token, head) pairs of the
// head's group in token-major order, so a chunk holds neighbouring tokens of one head
// (prefill) or the heads of one token (decode). Per chunk: one pass over the keys the
// rows see, each key vector loaded once for all rows' dot products, scores past a row's
// own position set to -inf; per row a vector max and e^x; then one pass over the values,
// each value vector read once for all rows, in slices of d small enough that every
// row's accumulators stay in registers. Each output is divided by its row's sum at the
// end (the scalar reference scales the probabilities first: a rounding difference).
// Threads take chunks round-robin, so the long causal rows spread evenly.
// From kAttentionTransposeMinRows new rows (prefill) the keys are first transposed, once per
// call, and a chunk's scores come 2 vectors of positions at a time from broadcasts of its
// query values: no horizontal sum per key, which the per-key dot products above cost.
// One token over more than kAttentionSegment positions (decode of a long context) cuts each
// chunk's positions into segments, items of their own, and merges them (merge_segments).
#include <immintrin.h>
#include <omp.h>

#include <cmath>
#include <cstdint>

#include "kernels/cpu/simd/attention_simd.h"
#include "kernels/cpu/simd/transpose8x8.h"

namespace llmrun::cpu::simd {
namespace {

constexpr int64_t kRows = kAttentionRows;
constexpr float kMinusInf = -__builtin_inff();

inline int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

struct ChunkRows {
  const float* q[kRows];
  float* out[kRows];
  int64_t visible[kRows];  // positions row r attends to: 0 .. visible[r] - 1
  int64_t real = 0;        // rows past `real` repeat the last real row and are not written
  int64_t min_visible = 0, max_visible = 0;
};

// out[r][slice of kSlice vectors from c0] = sum_j p[r][j] v_j / sum_r.
template <class Vec, int kSlice>
void weighted_values(const ChunkRows& rows, const float* values, int64_t d, const float* probs, int64_t stride,
                     const float* inv_sum, int64_t c0) {
  using V = typename Vec::V;
  constexpr int L = Vec::kLanes;
  V acc[kRows][kSlice];
  for (auto& row : acc)
    for (V& a : row) a = Vec::zero();
  for (int64_t j = 0; j < rows.min_visible; ++j) {
    const float* vj = values + j * d + c0 * L;
    V v[kSlice];
    for (int c = 0; c < kSlice; ++c) v[c] = Vec::load(vj + c * L);
    for (int64_t r = 0; r < kRows; ++r) {
      const V pr = Vec::set1(probs[r * stride + j]);
      for (int c = 0; c < kSlice; ++c) acc[r][c] = Vec::fma(pr, v[c], acc[r][c]);
    }
  }
  // The last few positions, which only some rows see: never read a value a row must not.
  for (int64_t j = rows.min_visible; j < rows.max_visible; ++j) {
    const float* vj = values + j * d + c0 * L;
    for (int64_t r = 0; r < kRows; ++r) {
      if (j >= rows.visible[r]) continue;
      const V pr = Vec::set1(probs[r * stride + j]);
      for (int c = 0; c < kSlice; ++c) acc[r][c] = Vec::fma(pr, Vec::load(vj + c * L), acc[r][c]);
    }
  }
  for (int64_t r = 0; r < rows.real; ++r) {
    const V scale = Vec::set1(inv_sum[r]);
    for (int c = 0; c < kSlice; ++c) Vec::store(rows.out[r] + (c0 + c) * L, Vec::mul(acc[r][c], scale));
  }
}

// Transposed keys of one KV head: blocks of kScorePad positions, each [d, kScorePad], so a
// pass over d for one block reads one contiguous run (a [d, positions] matrix would be d
// streams of which the hardware prefetcher follows few).
inline const float* key_block(const float* keys_t, int64_t d, int64_t j0) {
  return keys_t + j0 / kScorePad * d * kScorePad + j0 % kScorePad;
}

// scores[r * stride + j] = q_r . k_j * scale for j < stride (a multiple of 2 vectors) from
// the transposed keys (zeros past the last position): per c, two vectors of keys times each
// row's q[c] broadcast.
template <class Vec>
void scores_from_transposed(const ChunkRows& rows, const float* keys_t, int64_t d, float scale, int64_t stride,
                            float* scores) {
  using V = typename Vec::V;
  constexpr int L = Vec::kLanes;
  for (int64_t j0 = 0; j0 < stride; j0 += 2 * L) {
    V acc[kRows][2];
    for (auto& row : acc) row[0] = row[1] = Vec::zero();
    const float* kb = key_block(keys_t, d, j0);
    for (int64_t c = 0; c < d; ++c) {
      const V k0 = Vec::load(kb + c * kScorePad), k1 = Vec::load(kb + c * kScorePad + L);
#pragma GCC unroll 4
      for (int64_t r = 0; r < kRows; ++r) {
        const V qr = Vec::set1(rows.q[r][c]);
        acc[r][0] = Vec::fma(qr, k0, acc[r][0]);
        acc[r][1] = Vec::fma(qr, k1, acc[r][1]);
      }
    }
    const V s = Vec::set1(scale);
    for (int64_t r = 0; r < kRows; ++r) {
      Vec::store(scores + r * stride + j0, Vec::mul(acc[r][0], s));
      Vec::store(scores + r * stride + j0 + L, Vec::mul(acc[r][1], s));
    }
  }
}

// keys [positions, d] of every KV head -> per head `padded` positions in key_block's layout
// (zeros past the last), threads splitting the 8-position blocks.
template <class Vec>
void transpose_keys(const AttentionProblem& p, int64_t total, int64_t padded, float* keys_t) {
  const int64_t blocks = padded / 8, d = p.d;
#pragma omp for collapse(2) schedule(static)
  for (int64_t h = 0; h < p.n_kv_heads; ++h)
    for (int64_t b = 0; b < blocks; ++b) {
      const float* keys = p.keys + h * p.head_stride;
      const int64_t j0 = b * 8;
      float* kt = const_cast<float*>(key_block(keys_t + h * d * padded, d, j0));
      if (j0 + 8 <= total) {
        for (int64_t c = 0; c < d; c += 8) transpose8x8(keys + j0 * d + c, d, kt + c * kScorePad, kScorePad);
      } else {  // the last positions: never read past the cache's filled rows
        for (int64_t c = 0; c < d; ++c)
          for (int64_t j = j0; j < j0 + 8; ++j) kt[c * kScorePad + j - j0] = j < total ? keys[j * d + c] : 0.0f;
      }
    }
}

// A segment of positions [j0, j1) of a one-token chunk (attention_segments); `partial`
// [kRows][d + 2] takes each row's unnormalized output, max and sum instead of writing out.
struct Segment {
  int64_t j0 = 0, j1 = 0;
  float* partial = nullptr;
};

template <class Vec>
void attention_chunk(const AttentionProblem& p, int64_t kvh, int64_t first_item, int64_t items, float* scores,
                     const float* keys_t, int64_t padded, const Segment& seg = Segment{}) {
  using V = typename Vec::V;
  constexpr int L = Vec::kLanes;
  // Vectors of d per pass over the values: kRows x kSlice accumulators + kSlice operands
  // + 1 broadcast fit the registers (16 on AVX2, 32 on AVX-512).
  constexpr int kSlice = L == 16 ? 4 : 2;
  const int64_t group = p.n_heads / p.n_kv_heads, d = p.d, vecs = d / L;
  ChunkRows rows;
  rows.real = items;
  for (int64_t r = 0; r < kRows; ++r) {
    const int64_t t = first_item + (r < items ? r : items - 1);
    const int64_t i = t / group, h = kvh * group + t % group;
    rows.q[r] = p.q + i * p.q_stride + h * d;
    rows.out[r] = seg.partial ? seg.partial + r * (d + 2) : p.out + i * p.out_stride + h * d;
    rows.visible[r] = seg.partial ? seg.j1 - seg.j0 : p.start_pos + i + 1;
  }
  rows.min_visible = rows.max_visible = rows.visible[0];
  for (int64_t r = 1; r < kRows; ++r) {
    rows.min_visible = rows.visible[r] < rows.min_visible ? rows.visible[r] : rows.min_visible;
    rows.max_visible = rows.visible[r] > rows.max_visible ? rows.visible[r] : rows.max_visible;
  }
  const int64_t stride = round_up(rows.max_visible, keys_t ? 2 * L : 16);
  const float* keys = p.keys + kvh * p.head_stride + seg.j0 * d;
  const float* values = p.values + kvh * p.head_stride + seg.j0 * d;

  if (keys_t) {
    scores_from_transposed<Vec>(rows, keys_t + kvh * d * padded, d, p.scale, stride, scores);
    // Positions a row must not see (its own future, the padding) leave the softmax.
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t j = rows.visible[r]; j < stride; ++j) scores[r * stride + j] = kMinusInf;
  }
  for (int64_t j = 0; !keys_t && j < rows.max_visible; ++j) {
    const float* kj = keys + j * d;
    V a0 = Vec::zero(), a1 = Vec::zero(), a2 = Vec::zero(), a3 = Vec::zero();
    for (int64_t c = 0; c < vecs; ++c) {
      const V k = Vec::load(kj + c * L);
      a0 = Vec::fma(Vec::load(rows.q[0] + c * L), k, a0);
      a1 = Vec::fma(Vec::load(rows.q[1] + c * L), k, a1);
      a2 = Vec::fma(Vec::load(rows.q[2] + c * L), k, a2);
      a3 = Vec::fma(Vec::load(rows.q[3] + c * L), k, a3);
    }
    float dots[kRows] = {0, 0, 0, 0};
    Vec::add_hsum4(dots, a0, a1, a2, a3);
    for (int64_t r = 0; r < kRows; ++r) scores[r * stride + j] = j < rows.visible[r] ? dots[r] * p.scale : kMinusInf;
  }
  float inv_sum[kRows];
  for (int64_t r = 0; r < kRows; ++r) {
    float* s = scores + r * stride;
    for (int64_t j = rows.max_visible; j < stride; ++j) s[j] = kMinusInf;
    V m = Vec::set1(kMinusInf);
    for (int64_t j = 0; j < stride; j += L) m = Vec::max(m, Vec::load(s + j));
    const float max = Vec::hmax(m);
    const V minus_max = Vec::set1(-max);
    V sum = Vec::zero();
    for (int64_t j = 0; j < stride; j += L) {
      const V e = Vec::exp(Vec::add(Vec::load(s + j), minus_max));
      Vec::store(s + j, e);
      sum = Vec::add(sum, e);
    }
    const float total = Vec::hsum(sum);
    inv_sum[r] = seg.partial ? 1.0f : 1.0f / total;  // a segment's rows: merge_segments divides
    if (seg.partial) {
      seg.partial[r * (d + 2) + d] = max;
      seg.partial[r * (d + 2) + d + 1] = total;
    }
  }
  int64_t c0 = 0;
  for (; c0 + kSlice <= vecs; c0 += kSlice) weighted_values<Vec, kSlice>(rows, values, d, scores, stride, inv_sum, c0);
  for (; c0 < vecs; ++c0) weighted_values<Vec, 1>(rows, values, d, scores, stride, inv_sum, c0);
}

// out[0, d) = the segments' outputs of one row, each times e^(its max - the largest max),
// divided by their sums weighted alike: the softmax over all positions. `first` is the row
// in the first segment's partial result; the next segments' follow kRows rows apart.
template <class Vec>
void merge_segments(int64_t d, int64_t segments, const float* first, float* out) {
  using V = typename Vec::V;
  const auto part = [&](int64_t s) { return first + s * kRows * (d + 2); };
  float max = part(0)[d];
  for (int64_t s = 1; s < segments; ++s) max = part(s)[d] > max ? part(s)[d] : max;
  float weights[64];  // e^(max_s - max) of up to 64 segments at a time
  float sum = 0;
  for (int64_t c = 0; c < d; c += Vec::kLanes) Vec::store(out + c, Vec::zero());
  for (int64_t s0 = 0; s0 < segments; s0 += 64) {
    const int64_t s1 = s0 + 64 < segments ? s0 + 64 : segments;
    for (int64_t s = s0; s < s1; ++s) {
      weights[s - s0] = std::exp(part(s)[d] - max);
      sum += weights[s - s0] * part(s)[d + 1];
    }
    for (int64_t c = 0; c < d; c += Vec::kLanes) {
      V acc = Vec::load(out + c);
      for (int64_t s = s0; s < s1; ++s) acc = Vec::fma(Vec::set1(weights[s - s0]), Vec::load(part(s) + c), acc);
      Vec::store(out + c, acc);
    }
  }
  const V inv = Vec::set1(1.0f / sum);
  for (int64_t c = 0; c < d; c += Vec::kLanes) Vec::store(out + c, Vec::mul(Vec::load(out + c), inv));
}

template <class Vec>
void run_attention(const AttentionProblem& p) {
  static_assert(kScorePad % (2 * Vec::kLanes) == 0 && kScorePad % 16 == 0, "score rows hold whole key blocks");
  const int64_t items = p.n * (p.n_heads / p.n_kv_heads);
  const int64_t chunks = (items + kRows - 1) / kRows, work = p.n_kv_heads * chunks;
  const int64_t per_thread = attention_scores_floats(p.start_pos, p.n);
  const int64_t padded = padded_positions(p.start_pos, p.n);
  float* keys_t = p.n >= kAttentionTransposeMinRows ? p.scratch + int64_t(p.threads) * per_thread : nullptr;
  const int64_t segments = attention_segments(p.start_pos, p.n);
  if (segments > 1) {  // one token: work items of (KV head, chunk, segment), then a merge
    const int64_t total = p.start_pos + 1, group = p.n_heads / p.n_kv_heads;
    float* partials = p.scratch + int64_t(p.threads) * per_thread;
#pragma omp parallel num_threads(p.threads) if (p.parallel)
    {
      float* scores = p.scratch + int64_t(omp_get_thread_num()) * per_thread;
#pragma omp for schedule(static, 1)
      for (int64_t w = 0; w < work * segments; ++w) {
        const int64_t item = w / segments, s = w % segments;
        const int64_t kvh = item / chunks, first = (item % chunks) * kRows;
        Segment seg;
        seg.j0 = s * kAttentionSegment;
        seg.j1 = seg.j0 + kAttentionSegment < total ? seg.j0 + kAttentionSegment : total;
        seg.partial = partials + w * kRows * (p.d + 2);
        const int64_t rows = items - first < kRows ? items - first : kRows;
        attention_chunk<Vec>(p, kvh, first, rows, scores, nullptr, padded, seg);
      }
#pragma omp for schedule(static)
      for (int64_t h = 0; h < p.n_heads; ++h) {
        const int64_t kvh = h / group, t = h % group, item = kvh * chunks + t / kRows;
        const float* first = partials + (item * segments * kRows + t % kRows) * (p.d + 2);
        merge_segments<Vec>(p.d, segments, first, p.out + h * p.d);
      }
    }
    return;
  }
#pragma omp parallel num_threads(p.threads) if (p.parallel)
  {
    if (keys_t) transpose_keys<Vec>(p, p.start_pos + p.n, padded, keys_t);  // ends in a barrier (omp for)
    float* scores = p.scratch + int64_t(omp_get_thread_num()) * per_thread;
#pragma omp for schedule(static, 1)
    for (int64_t w = 0; w < work; ++w) {
      const int64_t kvh = w % p.n_kv_heads, first = (w / p.n_kv_heads) * kRows;
      attention_chunk<Vec>(p, kvh, first, items - first < kRows ? items - first : kRows, scores, keys_t, padded);
    }
  }
}

}  // namespace
}  // namespace llmrun::cpu::simd
