// The attention kernels of kernels/cuda (kv_write, attention_decode, attention_prefill and
// the attention() dispatch) against the CPU backend's attention (kernels/cpu/attention.cpp),
// on random inputs already rounded to the activation type, over GQA groups 1/3/4/8/12,
// head_dim 64/128 (fast paths) and 65/80/96/256 (generic path), cache lengths crossing every
// chunk and tile boundary up to 4097, batches of sequences of different lengths, prefill
// runs of 1/7/64/130 tokens after a prefix, every activation type.
//
// Positions of the device cache that no row may see are NaN, and so are the padding
// elements of strided q/k/v rows: reading any of them makes an output NaN, which fails.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/cpu/attention.h"
#include "kernels/cpu/cpu_tensor.h"
#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/act_vec.cuh"
#include "kernels/cuda/attention.cuh"
#include "tests/cuda/act_test_support.h"
#include "tests/cuda/conformance.h"
#include "tests/cuda/device_test.h"

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

using testing::ActType;
using testing::all_within;
using testing::kTranscendentalUlps;
using testing::kU32;

// gamma(n) = n u / (1 - n u): the relative error bound of n fp32 roundings in a chain.
double gamma(double n) { return n * kU32 / (1.0 - n * kU32); }

// The bound on |kernel - reference| for one output element y_d = sum_j P_j v_jd,
// P = softmax_j(S_j), S_j = scale * q . k_j over the L visible positions. Both sides start
// from the same Act-rounded inputs and compute in fp32 (in different orders, the kernel in
// chunks or with an online softmax); we bound each side's distance to the exact value with
// the same constant kappa and add the two (u = 2^-24):
//  - scores: a D-term fp32 dot product in any order, then times scale, is within
//    gamma(D + 1) * A_j of S_j, A_j = scale * sum_i |q_i k_ji|. With eps = max_j of that, the
//    softmax weights move by a factor within e^(+-2 eps): |dP_j| <= (e^(2 eps) - 1) P_j,
//    so y moves by at most (e^(2 eps) - 1) * M_d, M_d = sum_j P_j |v_jd|.
//  - exponentials: every exp is within kTranscendentalUlps ulps, and its argument x (a
//    difference of fp32 values) is rounded (a relative error u|x| of the result). A term's
//    weight passes through at most R + 1 exps and multiplies, R = the rescalings by
//    exp(m_old - m_new) of the online softmax or the chunk combine (tiles and chunks are at
//    least 8 positions: R <= ceil(L / 8) + 1); its arguments telescope, so they sum to at
//    most the score range W = max S - min S + 2 eps. Per term: delta = gamma((R + 1) *
//    (kTranscendentalUlps + 1)) + gamma(1) * W relative; perturbing numerator and
//    denominator of y = sum e_j v_jd / sum e_j alike moves y by at most 2 delta M_d.
//  - sums: the L-term numerator and denominator in any order and split into chunks:
//    gamma(L) * M_d each, plus the final division / normalisation: gamma(4) * M_d.
// kappa = (e^(2 eps) - 1) + 2 delta + 2 gamma(L) + gamma(4), and the kernel's output is then
// rounded to Act: bound_d = act_rounding(|ref_d|) + (1 + u_act) * 2 * kappa * M_d.
struct Bound {
  std::vector<double> per_dim;  // [head_dim]
};

// One head of one row: q [D], keys/values [L][D] (floats of Act values), reference out [D].
Bound attention_bound(ActType act, const float* q, const std::vector<const float*>& keys,
                      const std::vector<const float*>& values, int D, float scale, const float* ref) {
  const size_t L = keys.size();
  std::vector<double> S(L), P(L);
  double eps = 0.0, smax = -INFINITY, smin = INFINITY;
  for (size_t j = 0; j < L; ++j) {
    double dot = 0.0, abs = 0.0;
    for (int d = 0; d < D; ++d) dot += double(q[d]) * keys[j][d], abs += std::fabs(double(q[d]) * keys[j][d]);
    S[j] = double(scale) * dot;
    eps = std::max(eps, gamma(D + 1) * double(scale) * abs);
    smax = std::max(smax, S[j]);
    smin = std::min(smin, S[j]);
  }
  double z = 0.0;
  for (size_t j = 0; j < L; ++j) z += P[j] = std::exp(S[j] - smax);
  for (double& p : P) p /= z;
  const double R = std::ceil(double(L) / 8.0) + 1.0;
  const double delta = gamma((R + 1.0) * (kTranscendentalUlps + 1.0)) + gamma(1) * (smax - smin + 2.0 * eps);
  const double kappa = std::expm1(2.0 * eps) + 2.0 * delta + 2.0 * gamma(double(L)) + gamma(4);
  Bound b;
  b.per_dim.resize(size_t(D));
  for (int d = 0; d < D; ++d) {
    double m = 0.0;
    for (size_t j = 0; j < L; ++j) m += P[j] * std::fabs(double(values[j][d]));
    b.per_dim[size_t(d)] = testing::act_rounding(act, ref[d]) + (1.0 + testing::unit_roundoff(act)) * 2.0 * kappa * m;
  }
  return b;
}

enum class Kernel { decode, prefill, dispatch };
const char* kernel_name(Kernel k) {
  return k == Kernel::decode ? "decode" : k == Kernel::prefill ? "prefill" : "dispatch";
}

// A sequence of the batch: `prefix` positions already in its cache slot, then n_new tokens
// (rows) whose keys/values kv_write appends.
struct Seq {
  int32_t slot, prefix, n_new;
};

struct Case {
  Kernel kernel = Kernel::decode;
  int32_t kv_heads = 2, group = 4, head_dim = 128;
  std::vector<Seq> seqs;
  int32_t chunk_len = 0;       // decode: 0 = the automatic plan
  int64_t q_pad = 0;           // q row stride = heads * head_dim + q_pad (NaN padding)
  int64_t kv_pad = 0;          // k/v row stride = kv_heads * head_dim + kv_pad (NaN padding)
  bool interleave = false;     // rows token-major across sequences (else sequence by sequence)
  bool invalid_row = false;    // one more row whose slot is out of range: NaN out, no cache write
  bool slot_table = false;     // every slot in its own allocation, found through KvLayer::k_slots

  std::string describe() const {
    std::ostringstream s;
    s << kernel_name(kernel) << " kv_heads " << kv_heads << " group " << group << " head_dim " << head_dim
      << " chunk " << chunk_len << " q_pad " << q_pad << " kv_pad " << kv_pad << (interleave ? " interleaved" : "")
      << (invalid_row ? " +invalid row" : "") << (slot_table ? " slot table" : "") << " seqs (slot, prefix, new):";
    for (const Seq& q : seqs) s << " (" << q.slot << "," << q.prefix << "," << q.n_new << ")";
    return s.str();
  }
};

template <typename Act>
Act act_nan() {
  return from_f32<Act>(std::nanf(""));
}

template <typename Act>
bool same_bits(Act a, Act b) {
  return act_bits(a) == act_bits(b);
}

template <typename Act>
void run_case(const Case& c, uint32_t seed) {
  SCOPED_TRACE(std::string(testing::act_name(act_of<Act>())) + " " + c.describe());
  const int32_t kvh = c.kv_heads, D = c.head_dim, heads = kvh * c.group;
  const int64_t q_stride = int64_t(heads) * D + c.q_pad, kv_stride = int64_t(kvh) * D + c.kv_pad;
  int32_t slots = 1, capacity = 1;
  for (const Seq& s : c.seqs) slots = std::max(slots, s.slot + 1), capacity = std::max(capacity, s.prefix + s.n_new);
  capacity += 3;  // positions nobody may read
  const int64_t head_stride = int64_t(capacity) * D, slot_stride = kvh * head_stride;

  // Rows: (sequence, token).
  std::vector<std::pair<int, int>> row_of;
  if (c.interleave) {
    for (int t = 0;; ++t) {
      bool any = false;
      for (size_t s = 0; s < c.seqs.size(); ++s)
        if (t < c.seqs[s].n_new) row_of.push_back({int(s), t}), any = true;
      if (!any) break;
    }
  } else {
    for (size_t s = 0; s < c.seqs.size(); ++s)
      for (int t = 0; t < c.seqs[s].n_new; ++t) row_of.push_back({int(s), t});
  }
  const int32_t valid_rows = int32_t(row_of.size());
  const int32_t rows = valid_rows + (c.invalid_row ? 1 : 0);

  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  auto random_act = [&] { return from_f32<Act>(dist(rng)); };

  // The cache before: prefixes random, everything else NaN.
  std::vector<Act> kc(size_t(slots) * size_t(slot_stride), act_nan<Act>()), vc = kc;
  auto at = [&](int32_t slot, int32_t h, int32_t pos) { return size_t(slot * slot_stride + h * head_stride + int64_t(pos) * D); };
  for (const Seq& s : c.seqs)
    for (int32_t h = 0; h < kvh; ++h)
      for (int32_t p = 0; p < s.prefix; ++p)
        for (int32_t d = 0; d < D; ++d) kc[at(s.slot, h, p) + size_t(d)] = random_act(), vc[at(s.slot, h, p) + size_t(d)] = random_act();
  // New rows; padding NaN.
  std::vector<Act> q(size_t(rows) * size_t(q_stride), act_nan<Act>()), k(size_t(rows) * size_t(kv_stride), act_nan<Act>()),
      v = k;
  std::vector<int32_t> slot(static_cast<size_t>(rows)), pos(static_cast<size_t>(rows));
  for (int32_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < int64_t(heads) * D; ++i) q[size_t(r * q_stride + i)] = random_act();
    for (int64_t i = 0; i < int64_t(kvh) * D; ++i)
      k[size_t(r * kv_stride + i)] = random_act(), v[size_t(r * kv_stride + i)] = random_act();
    if (r < valid_rows) {
      const Seq& s = c.seqs[size_t(row_of[size_t(r)].first)];
      slot[size_t(r)] = s.slot;
      pos[size_t(r)] = s.prefix + row_of[size_t(r)].second;
    } else {
      slot[size_t(r)] = slots;  // out of range
      pos[size_t(r)] = 0;
    }
  }
  // The cache after kv_write.
  std::vector<Act> kc_after = kc, vc_after = vc;
  for (int32_t r = 0; r < valid_rows; ++r)
    for (int32_t h = 0; h < kvh; ++h)
      for (int32_t d = 0; d < D; ++d) {
        kc_after[at(slot[size_t(r)], h, pos[size_t(r)]) + size_t(d)] = k[size_t(r * kv_stride + h * D + d)];
        vc_after[at(slot[size_t(r)], h, pos[size_t(r)]) + size_t(d)] = v[size_t(r * kv_stride + h * D + d)];
      }

  // The device.
  OwnedStream stream;
  DeviceBuffer<Act> dq(q.size()), dk(k.size()), dv(v.size());
  DeviceBuffer<Act> dout(size_t(rows) * size_t(heads) * size_t(D));
  DeviceBuffer<int32_t> dslot(slot.size()), dpos(pos.size());
  dq.upload(q, stream.get()), dk.upload(k, stream.get()), dv.upload(v, stream.get());
  dslot.upload(slot, stream.get()), dpos.upload(pos, stream.get());
  // The cache: one allocation of `slots` slots, or (slot_table) one allocation per slot.
  std::vector<DeviceBuffer<Act>> dkc, dvc;
  for (int32_t i = 0; i < (c.slot_table ? slots : 1); ++i) {
    const size_t n = size_t(c.slot_table ? slot_stride : slots * slot_stride), first = size_t(i) * n;
    dkc.emplace_back(n), dvc.emplace_back(n);
    dkc.back().upload(std::vector<Act>(kc.begin() + first, kc.begin() + first + n), stream.get());
    dvc.back().upload(std::vector<Act>(vc.begin() + first, vc.begin() + first + n), stream.get());
    synchronize(stream.get());  // the temporaries go away
  }
  std::vector<Act*> key_bases, value_bases;
  for (size_t i = 0; i < dkc.size(); ++i) key_bases.push_back(dkc[i].data()), value_bases.push_back(dvc[i].data());
  DeviceBuffer<Act*> dkey_bases(key_bases.size()), dvalue_bases(value_bases.size());
  dkey_bases.upload(key_bases, stream.get()), dvalue_bases.upload(value_bases, stream.get());
  KvLayer<Act> layer;
  if (c.slot_table) {
    layer.k_slots = dkey_bases.data(), layer.v_slots = dvalue_bases.data();
  } else {
    layer.k = dkc[0].data(), layer.v = dvc[0].data();
    layer.slot_stride = slot_stride;
  }
  layer.head_stride = head_stride;
  layer.slots = slots, layer.kv_heads = kvh, layer.capacity = capacity, layer.head_dim = D;
  kv_write(dk.data(), kv_stride, dv.data(), kv_stride, dslot.data(), dpos.data(), rows, layer, stream.get());
  {
    std::vector<Act> got_k, got_v;
    for (size_t i = 0; i < dkc.size(); ++i) {
      const std::vector<Act> part_k = dkc[i].download(stream.get()), part_v = dvc[i].download(stream.get());
      got_k.insert(got_k.end(), part_k.begin(), part_k.end());
      got_v.insert(got_v.end(), part_v.begin(), part_v.end());
    }
    size_t wrong = 0;
    for (size_t i = 0; i < got_k.size(); ++i)
      wrong += !same_bits(got_k[i], kc_after[i]) + !same_bits(got_v[i], vc_after[i]);
    EXPECT_EQ(wrong, 0u) << "kv_write: cache elements that differ from the expected cache";
  }

  const float scale = 1.0f / std::sqrt(float(D));
  int32_t max_len = 1;
  for (int32_t r = 0; r < valid_rows; ++r) max_len = std::max(max_len, pos[size_t(r)] + 1);
  if (c.kernel == Kernel::decode) {
    const DecodePlan plan = plan_attention_decode(rows, heads, kvh, D, max_len, c.chunk_len);
    DeviceBuffer<float> scratch(std::max<size_t>(plan.scratch_floats, 1));
    attention_decode(dq.data(), q_stride, dslot.data(), dpos.data(), rows, max_len, layer, heads, scale,
                     scratch.data(), scratch.size(), dout.data(), stream.get(), c.chunk_len);
  } else if (c.kernel == Kernel::prefill) {
    attention_prefill(dq.data(), q_stride, dslot.data(), dpos.data(), rows, layer, heads, scale, dout.data(),
                      stream.get());
  } else {
    DeviceBuffer<float> scratch(std::max<size_t>(attention_scratch_floats(rows, heads, kvh, D, max_len), 1));
    attention(dq.data(), q_stride, dslot.data(), dpos.data(), rows, max_len, layer, heads, scale, scratch.data(),
              scratch.size(), dout.data(), stream.get());
  }
  const std::vector<Act> out_act = dout.download(stream.get());
  std::vector<float> got(out_act.size());
  for (size_t i = 0; i < got.size(); ++i) got[i] = to_f32(out_act[i]);

  // The reference: the CPU backend's attention, one sequence at a time (prefix copied into
  // its cache, the new rows appended by the call itself), and the bound per element.
  std::vector<float> ref(got.size(), std::nanf(""));
  std::vector<double> bound(got.size(), 0.0);
  const AttentionShape shape{heads, kvh, D};
  for (size_t si = 0; si < c.seqs.size(); ++si) {
    const Seq& s = c.seqs[si];
    cpu::CpuKvStorage cache(1, kvh, D, s.prefix + s.n_new);
    for (int32_t h = 0; h < kvh; ++h)
      for (int32_t p = 0; p < s.prefix; ++p)
        for (int32_t d = 0; d < D; ++d) {
          cache.k(0, h, p)[d] = to_f32(kc[at(s.slot, h, p) + size_t(d)]);
          cache.v(0, h, p)[d] = to_f32(vc[at(s.slot, h, p) + size_t(d)]);
        }
    std::vector<int32_t> my_rows;
    for (int32_t r = 0; r < valid_rows; ++r)
      if (row_of[size_t(r)].first == int(si)) my_rows.push_back(r);
    const int64_t n = int64_t(my_rows.size());
    cpu::CpuTensor cq(n, int64_t(heads) * D), ck(n, int64_t(kvh) * D), cv(n, int64_t(kvh) * D), co(n, int64_t(heads) * D);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t r = my_rows[size_t(i)];
      for (int64_t x = 0; x < int64_t(heads) * D; ++x) cq.row(i)[x] = to_f32(q[size_t(r * q_stride + x)]);
      for (int64_t x = 0; x < int64_t(kvh) * D; ++x)
        ck.row(i)[x] = to_f32(k[size_t(r * kv_stride + x)]), cv.row(i)[x] = to_f32(v[size_t(r * kv_stride + x)]);
    }
    cpu::attention(cq, ck, cv, cache, 0, s.prefix, shape, co, 1);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t r = my_rows[size_t(i)];
      for (int32_t h = 0; h < heads; ++h) {
        const float* ref_h = co.row(i) + int64_t(h) * D;
        std::vector<const float*> keys, values;
        for (int32_t p = 0; p <= s.prefix + int32_t(i); ++p)
          keys.push_back(cache.k(0, h / c.group, p)), values.push_back(cache.v(0, h / c.group, p));
        const Bound b = attention_bound(act_of<Act>(), cq.row(i) + int64_t(h) * D, keys, values, D, scale, ref_h);
        for (int32_t d = 0; d < D; ++d) {
          const size_t o = size_t((r * heads + h) * D + d);
          ref[o] = ref_h[d];
          bound[o] = b.per_dim[size_t(d)];
        }
      }
    }
  }
  // The invalid row: NaN (ref stays NaN; all_within accepts only NaN there).
  EXPECT_TRUE(all_within(got, ref, bound, "attention output"));
}

template <typename Act>
void run_all(const std::vector<Case>& cases) {
  uint32_t seed = 1;
  for (const Case& c : cases) run_case<Act>(c, seed++);
}

// Decode batches: one new token per sequence after `len - 1` cached positions.
std::vector<Seq> decode_batch(const std::vector<int32_t>& lengths) {
  std::vector<Seq> seqs;
  for (size_t i = 0; i < lengths.size(); ++i)
    seqs.push_back({int32_t((i * 5 + 3) % lengths.size()), lengths[i] - 1, 1});  // slots out of order
  return seqs;
}

template <typename T>
class Attention : public ::testing::Test {};
using ActTypes = ::testing::Types<float, bf16_t, f16_t>;
TYPED_TEST_SUITE(Attention, ActTypes);

// Lengths at every side of the 64-position chunk quantum and of the largest chunk (512);
// the short batch also fits one chunk of 512 (the direct-output path). The automatic plan
// picks 64-position chunks for these batches (2 kv heads, 4 or 8 rows).
TYPED_TEST(Attention, DecodeCrossesEveryChunkBoundary) {
  LLMRUN_REQUIRE_DEVICE();
  const std::vector<int32_t> short_lengths = {1, 2, 63, 64, 65, 255, 256, 257};
  const std::vector<int32_t> long_lengths = {1023, 1024, 1025, 4097};
  std::vector<Case> cases;
  for (int32_t d : {128, 64}) {
    for (int32_t chunk : {0, 512}) {
      if (d == 64 && chunk == 512) continue;
      Case c;
      c.head_dim = d, c.chunk_len = chunk, c.seqs = decode_batch(short_lengths);
      cases.push_back(c);
    }
    for (int32_t chunk : {0, 512}) {
      Case c;
      c.head_dim = d, c.chunk_len = chunk, c.seqs = decode_batch(long_lengths);
      cases.push_back(c);
    }
  }
  run_all<TypeParam>(cases);
}

// head_dim 64/128 take the 16-byte path, the others the element-load path.
TYPED_TEST(Attention, DecodeGroupsAndHeadDims) {
  LLMRUN_REQUIRE_DEVICE();
  std::vector<Case> cases;
  for (int32_t d : {64, 128, 96, 80, 256, 65})
    for (int32_t g : {1, 4, 8}) {
      Case c;
      c.head_dim = d, c.group = g, c.chunk_len = 64, c.seqs = decode_batch({1, 70, 300});
      cases.push_back(c);
    }
  // Groups that are not a power of two, and larger than one block serves (12 = 8 + 4).
  for (int32_t g : {3, 12}) {
    Case c;
    c.group = g, c.kv_heads = 1, c.seqs = decode_batch({130, 5});
    cases.push_back(c);
  }
  run_all<TypeParam>(cases);
}

// The decode kernel is correct for any rows with positions, not just one per sequence; and
// for strided/unaligned rows (the element-load path at head_dim 128, kv_write's element path).
TYPED_TEST(Attention, DecodeGeneralRows) {
  LLMRUN_REQUIRE_DEVICE();
  std::vector<Case> cases;
  Case c;
  c.seqs = std::vector<Seq>{{1, 60, 5}, {0, 0, 3}};
  c.chunk_len = 64;
  cases.push_back(c);
  c.q_pad = 1, c.kv_pad = 3, c.chunk_len = 0;
  cases.push_back(c);
  c.q_pad = 8, c.kv_pad = 8 * 3;  // strides of a fused QKV row: still 16-byte aligned
  cases.push_back(c);
  c = Case{};
  c.seqs = decode_batch({1, 100, 64});
  c.invalid_row = true;
  cases.push_back(c);  // several chunks: the combine kernel writes the NaN row
  c.seqs = decode_batch({1, 30});
  cases.push_back(c);  // one chunk: the decode kernel writes it
  run_all<TypeParam>(cases);
}

// Runs of 1, 7, 64 and 130 new tokens after prefixes crossing the key tiles (16..64
// positions depending on type and head_dim) and the query tiles.
TYPED_TEST(Attention, PrefillRunsAfterAPrefix) {
  LLMRUN_REQUIRE_DEVICE();
  std::vector<Case> cases;
  for (int32_t d : {128, 64})
    for (int32_t prefix : {0, 1, 33, 250})
      for (int32_t n : {1, 7, 64, 130}) {
        if (d == 64 && (prefix == 1 || n == 7)) continue;  // fewer cases for the second head_dim
        Case c;
        c.kernel = Kernel::prefill, c.head_dim = d, c.seqs = std::vector<Seq>{{0, prefix, n}};
        cases.push_back(c);
      }
  run_all<TypeParam>(cases);
}

TYPED_TEST(Attention, PrefillGroupsAndHeadDims) {
  LLMRUN_REQUIRE_DEVICE();
  std::vector<Case> cases;
  for (int32_t d : {64, 128, 96, 80, 256, 65})
    for (int32_t g : {1, 4, 8}) {
      Case c;
      c.kernel = Kernel::prefill, c.head_dim = d, c.group = g, c.seqs = std::vector<Seq>{{0, 40, 23}};
      cases.push_back(c);
    }
  for (int32_t g : {3, 12}) {
    Case c;
    c.kernel = Kernel::prefill, c.group = g, c.kv_heads = 1, c.seqs = std::vector<Seq>{{0, 17, 20}};
    cases.push_back(c);
  }
  run_all<TypeParam>(cases);
}

// Several sequences in one call: query tiles straddle sequences (one pass per run of a slot),
// also token by token when rows are interleaved; strided inputs; an invalid row.
TYPED_TEST(Attention, PrefillSeveralSequences) {
  LLMRUN_REQUIRE_DEVICE();
  std::vector<Case> cases;
  for (int32_t g : {1, 8}) {
    Case c;
    c.kernel = Kernel::prefill, c.group = g, c.seqs = std::vector<Seq>{{2, 0, 7}, {0, 100, 64}, {1, 37, 30}};
    cases.push_back(c);
    c.interleave = true, c.seqs = std::vector<Seq>{{2, 0, 7}, {0, 10, 12}, {1, 37, 5}};
    cases.push_back(c);
  }
  Case c;
  c.kernel = Kernel::prefill, c.seqs = std::vector<Seq>{{1, 20, 9}, {0, 3, 18}};
  c.q_pad = 1, c.kv_pad = 3, c.invalid_row = true;
  cases.push_back(c);
  run_all<TypeParam>(cases);
}

// Caches allocated apart (one per sequence, as the CUDA backend batches them), found
// through the slot table: kv_write, decode over several chunks and one, prefill of
// several sequences, the 16-byte and the element paths, an invalid row.
TYPED_TEST(Attention, SlotTable) {
  LLMRUN_REQUIRE_DEVICE();
  std::vector<Case> cases;
  for (int32_t d : {128, 96}) {
    Case c;
    c.slot_table = true, c.head_dim = d, c.seqs = decode_batch({1, 65, 300, 7});
    cases.push_back(c);
    c.chunk_len = 512;
    cases.push_back(c);
    c = Case{};
    c.slot_table = true, c.kernel = Kernel::prefill, c.head_dim = d;
    c.seqs = std::vector<Seq>{{2, 0, 7}, {0, 100, 64}, {1, 37, 30}};
    cases.push_back(c);
  }
  Case c;
  c.slot_table = true, c.kernel = Kernel::dispatch, c.interleave = true, c.invalid_row = true;
  c.seqs = std::vector<Seq>{{1, 20, 9}, {0, 3, 18}};
  cases.push_back(c);
  c.q_pad = 1, c.kv_pad = 3, c.kernel = Kernel::decode;
  cases.push_back(c);
  run_all<TypeParam>(cases);
}

// Long caches through prefill: a short run reaching 4097 positions, and a run of 64 after
// 1025.
TYPED_TEST(Attention, PrefillLongPrefix) {
  LLMRUN_REQUIRE_DEVICE();
  std::vector<Case> cases;
  Case c;
  c.kernel = Kernel::prefill, c.seqs = std::vector<Seq>{{0, 4090, 7}};
  cases.push_back(c);
  c.seqs = std::vector<Seq>{{0, 1025, 64}};
  cases.push_back(c);
  run_all<TypeParam>(cases);
}

// attention() picks decode up to kAttentionDecodeMaxRows rows and prefill beyond; both sides.
TYPED_TEST(Attention, DispatchBySize) {
  LLMRUN_REQUIRE_DEVICE();
  std::vector<Case> cases;
  for (int32_t n : {kAttentionDecodeMaxRows, kAttentionDecodeMaxRows + 1}) {
    Case c;
    c.kernel = Kernel::dispatch, c.seqs = std::vector<Seq>{{0, 70, n}};
    cases.push_back(c);
  }
  run_all<TypeParam>(cases);
}

// The tests can fail: the bound is far tighter than the change one position makes (an
// off-by-one in a causal mask) at the lengths that cross boundaries. Reference only.
TYPED_TEST(Attention, TheBoundSeesOnePositionMore) {
  const ActType act = act_of<TypeParam>();
  const int D = 128;
  const float scale = 1.0f / std::sqrt(float(D));
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int L : {1, 2, 63, 64, 65, 256, 257}) {
    std::vector<std::vector<float>> k(size_t(L + 1), std::vector<float>(D)), v = k;
    std::vector<float> q(D);
    auto rnd = [&] { return to_f32(from_f32<TypeParam>(dist(rng))); };
    for (float& x : q) x = rnd();
    for (auto& row : k)
      for (float& x : row) x = rnd();
    for (auto& row : v)
      for (float& x : row) x = rnd();
    auto out = [&](int n) {  // exact softmax attention over the first n positions, rounded to fp32
      std::vector<double> s(static_cast<size_t>(n));
      double mx = -INFINITY, z = 0.0;
      for (int j = 0; j < n; ++j) {
        double dot = 0.0;
        for (int d = 0; d < D; ++d) dot += double(q[size_t(d)]) * k[size_t(j)][size_t(d)];
        mx = std::max(mx, s[size_t(j)] = dot * scale);
      }
      for (double& x : s) z += x = std::exp(x - mx);
      std::vector<float> o(D);
      for (int d = 0; d < D; ++d) {
        double acc = 0.0;
        for (int j = 0; j < n; ++j) acc += s[size_t(j)] / z * v[size_t(j)][size_t(d)];
        o[size_t(d)] = float(acc);
      }
      return o;
    };
    const std::vector<float> ref = out(L), one_more = out(L + 1);
    std::vector<const float*> keys, values;
    for (int j = 0; j < L; ++j) keys.push_back(k[size_t(j)].data()), values.push_back(v[size_t(j)].data());
    const Bound b = attention_bound(act, q.data(), keys, values, D, scale, ref.data());
    int outside = 0;
    for (int d = 0; d < D; ++d) outside += std::fabs(double(one_more[size_t(d)]) - ref[size_t(d)]) > b.per_dim[size_t(d)];
    EXPECT_GT(outside, D / 2) << testing::act_name(act) << " L=" << L << ": only " << outside << " of " << D
                              << " elements tell L + 1 positions from L";
  }
}

}  // namespace
}  // namespace llmrun::LLMRUN_CUDA_NS
