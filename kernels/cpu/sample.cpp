#include "kernels/cpu/sample.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "runtime/error.h"

namespace llmrun::cpu {
namespace {

// Reused between calls (a vocabulary-sized buffer per call would cost page faults).
struct Scratch {
  std::vector<int32_t> ids;                     // candidates, then the kept set
  std::vector<double> w;                        // weights, per candidate or per id
  std::vector<std::pair<int32_t, double>> kept;  // (id, weight) of the kept set, by id
  std::vector<uint8_t> flags;                   // [vocab] 1 = kept (top-k off)
  std::vector<uint16_t> bins;                   // [vocab] top-p bin (top-k off)
  std::vector<double> bin_mass;                 // per top-p bin
};
thread_local Scratch t_scratch;

// exp((l - max) / T), the reference's weight, except that logits equal to the maximum weigh
// exactly 1 even when it is infinite (a row of -inf gives a uniform choice, not NaN).
double weight(float l, double max_logit, double temperature) {
  return double(l) == max_logit ? 1.0 : std::exp((double(l) - max_logit) / temperature);
}

// The reference order: higher logit first, lower id first among equal logits (what a
// stable sort by logit, descending, gives).
struct Before {
  const float* l;
  bool operator()(int32_t a, int32_t b) const { return l[a] > l[b] || (l[a] == l[b] && a < b); }
};

// The ids of the k best logits in the reference order: one pass that keeps a buffer of
// every id better than the running k-th best (ids come in increasing order, so a later id
// equal to it is never better), cut back to k by nth_element when it fills.
void top_k(const float* l, int64_t vocab, size_t k, std::vector<int32_t>& ids) {
  const size_t cap = std::max<size_t>(2 * k, k + 256);
  ids.clear();
  ids.reserve(cap);
  const Before before{l};
  bool full = false;  // once k are held: only logits above `threshold` can enter
  float threshold = 0.0f;
  for (int64_t i = 0; i < vocab; ++i) {
    if (full && !(l[i] > threshold)) continue;
    ids.push_back(int32_t(i));
    if (ids.size() == cap) {
      std::nth_element(ids.begin(), ids.begin() + std::ptrdiff_t(k - 1), ids.end(), before);
      ids.resize(k);
      threshold = l[ids[k - 1]];
      full = true;
    }
  }
  if (ids.size() > k) {
    std::nth_element(ids.begin(), ids.begin() + std::ptrdiff_t(k - 1), ids.end(), before);
    ids.resize(k);
  }
  std::sort(ids.begin(), ids.end(), before);
}

// The inverse CDF over the kept (id, weight) pairs: ids in increasing order, each adding
// w / sum, first where u < cumulative; the last of non-zero probability otherwise.
int32_t invert(std::vector<std::pair<int32_t, double>>& kept, double sum, double u) {
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double cum = 0.0;
  int32_t last_nonzero = kept.front().first;
  for (const auto& [id, w] : kept) {
    const double p = w / sum;
    if (p == 0.0) continue;
    last_nonzero = id;
    cum += p;
    if (u < cum) return id;
  }
  return last_nonzero;
}

// Top-k on: `order` holds the k best ids in the reference order; from here on every step
// is the reference's own arithmetic in its own order (runtime/sampler.cpp), on k values.
int32_t sample_sorted(const float* l, const std::vector<int32_t>& order, const SamplingParams& p, double u,
                      Scratch& s) {
  const double temperature = p.temperature, min_p = p.min_p, top_p = p.top_p;
  size_t keep = order.size();
  const double max_logit = l[order[0]];
  std::vector<double>& w = s.w;
  w.resize(keep);
  for (size_t i = 0; i < keep; ++i) w[i] = weight(l[order[i]], max_logit, temperature);
  if (min_p > 0.0) {
    size_t n = 0;
    while (n < keep && w[n] >= min_p * w[0]) ++n;
    keep = std::max<size_t>(n, 1);
  }
  if (top_p < 1.0) {
    double total = 0.0;
    for (size_t i = 0; i < keep; ++i) total += w[i];
    double cum = 0.0;
    size_t n = 0;
    while (n < keep) {
      cum += w[n++];
      if (cum >= top_p * total) break;
    }
    keep = n;
  }
  double sum = 0.0;
  for (size_t i = 0; i < keep; ++i) sum += w[i];
  s.kept.clear();
  for (size_t i = 0; i < keep; ++i) s.kept.emplace_back(order[i], w[i]);
  return invert(s.kept, sum, u);
}

// Top-k off: every id is a candidate. min-p is a threshold on the weight (weights fall
// with the logit, so the reference's prefix is exactly the ids at or above it). top-p: the
// mass per bin of (max - l) / T (4096 bins over [0, 40), the rest in the last: monotone,
// so earlier bins hold only earlier ids of the reference order) finds the bin where the
// running mass reaches top_p * total; only that bin's ids are sorted to find the cut.
int32_t sample_all(const float* l, int64_t vocab, const SamplingParams& p, double u, Scratch& s) {
  constexpr int kBins = 4096;
  const double temperature = p.temperature, min_p = p.min_p, top_p = p.top_p;
  const double max_logit = *std::max_element(l, l + vocab);
  std::vector<double>& w = s.w;
  w.resize(size_t(vocab));
  for (int64_t i = 0; i < vocab; ++i) w[size_t(i)] = weight(l[i], max_logit, temperature);
  std::vector<uint8_t>& kept = s.flags;
  kept.resize(size_t(vocab));
  for (int64_t i = 0; i < vocab; ++i) kept[size_t(i)] = !(min_p > 0.0) || w[size_t(i)] >= min_p;

  if (top_p < 1.0) {
    std::vector<uint16_t>& bin = s.bins;
    bin.resize(size_t(vocab));
    std::vector<double>& mass = s.bin_mass;
    mass.assign(kBins, 0.0);
    const double per_unit = kBins / 40.0;
    for (int64_t i = 0; i < vocab; ++i) {
      const double d = (max_logit - double(l[i])) / temperature * per_unit;  // NaN, inf: last bin
      bin[size_t(i)] = uint16_t(d < kBins - 1 ? int(d) : kBins - 1);
      if (kept[size_t(i)]) mass[bin[size_t(i)]] += w[size_t(i)];
    }
    double total = 0.0;
    for (double m : mass) total += m;
    const double target = top_p * total;
    double before = 0.0;
    uint16_t cut_bin = 0;
    while (cut_bin < kBins - 1 && before + mass[cut_bin] < target) before += mass[cut_bin++];
    std::vector<int32_t>& ids = s.ids;  // the cut bin's kept ids, in the reference order
    ids.clear();
    for (int64_t i = 0; i < vocab; ++i) {
      if (!kept[size_t(i)] || bin[size_t(i)] < cut_bin) continue;
      if (bin[size_t(i)] == cut_bin) ids.push_back(int32_t(i));
      else kept[size_t(i)] = 0;  // after the cut bin
    }
    std::sort(ids.begin(), ids.end(), Before{l});
    double cum = before;
    size_t j = 0;
    while (j < ids.size() && (cum += w[size_t(ids[j])]) < target) ++j;
    for (++j; j < ids.size(); ++j) kept[size_t(ids[j])] = 0;  // after the cut (rounding: keep all)
  }
  // The inverse CDF in id order (as invert(), without collecting the kept ids).
  double sum = 0.0;
  for (int64_t i = 0; i < vocab; ++i)
    if (kept[size_t(i)]) sum += w[size_t(i)];
  double cum = 0.0;
  int32_t last_nonzero = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    if (!kept[size_t(i)]) continue;
    const double pi = w[size_t(i)] / sum;
    if (pi == 0.0) continue;
    last_nonzero = int32_t(i);
    cum += pi;
    if (u < cum) return int32_t(i);
  }
  return last_nonzero;
}

}  // namespace

bool row_is_broken(const float* l, int64_t n) {
  // On the bits, branch-free, so the pass vectorizes: it runs on every token (about 40 us at
  // vocab 151,936 here, where a branchy or float-compare loop cost 90-140 us).
  uint32_t broken = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, l + i, sizeof bits);
    broken |= uint32_t((bits & 0x7fffffffu) > 0x7f800000u) | uint32_t(bits == 0x7f800000u);  // NaN | +inf
  }
  return broken != 0;
}

int32_t sample(const float* logits, int64_t vocab, const SamplingParams& params, double u) {
  LLMRUN_CHECK(vocab > 0 && vocab <= INT32_MAX, "sample: vocab ", vocab);
  LLMRUN_CHECK(params.temperature > 0.0f && params.top_k >= 0 && params.top_p > 0.0f && params.top_p <= 1.0f &&
                   params.min_p >= 0.0f && params.min_p <= 1.0f,
               "sample: temperature ", params.temperature, " top_k ", params.top_k, " top_p ", params.top_p,
               " min_p ", params.min_p);
  if (row_is_broken(logits, vocab)) return -1;  // reported by the caller, never sampled
  Scratch& s = t_scratch;
  if (params.top_k > 0 && params.top_k < vocab) {
    top_k(logits, vocab, size_t(params.top_k), s.ids);
    return sample_sorted(logits, s.ids, params, u, s);
  }
  return sample_all(logits, vocab, params, u, s);
}

}  // namespace llmrun::cpu
