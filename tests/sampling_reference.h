#pragma once
// What a sampler under test (cpu::sample, the CUDA sample kernel) is compared with: the
// reference Sampler's distribution (runtime/sampler.cpp, in double, its stable sort) and
// its inverse CDF at the same u, with a margin derived from how the implementation under
// test computes — never tuned.
//
// The derivation. Let w_j = exp(z_j), z_j = (l_j - M) / T, be the reference's weight
// (double: exact to ~2^-53) and w'_j the tested one. The tested weight's error bound is
//   |w'_j - w_j| <= delta_j = w_j * (z_ulps * |z_j| + exp_ulps) * 2^-24 + abs_per_token
// (Precision below: for fp32, z' = fl(fl(l - M) * fl(1/T)) has three roundings, so
// z_ulps = 3 (the first-order bound, doubled for safety: 6), expf is within 2 ulps on the
// device (CUDA's accuracy tables; the harness's libm within 1), doubled: 4; the 2^-40
// fixed-point masses truncate by < 2^-40 per token). Masses are then summed exactly
// (integers) by the kernel; a double sum of n terms in another order than the reference's
// adds n * 2^-53 relative (sum_rel).
//   Filters: top-k compares the same floats, so it is exact. min-p keeps w >= min_p: a
// token with |w_j - min_p| <= delta_j may go either way. top-p cuts where the running
// mass reaches top_p * total: with D = sum of delta_j over the candidates (+ sum_rel *
// total), the cut is ambiguous when a prefix mass lies within 2D of top_p * total.
//   Inverse CDF: with the kept set equal, every cumulative probability differs by at most
// eps = 2 D / (S - D) (S = kept mass, D over the kept), so the tested pick g is right when
// it is the reference's, or when p_g > 0 and u lies within eps of g's interval
// [C(g-1), C(g)) of the reference's cumulative distribution.
//   A row with an ambiguous filter (a logit within rounding of a threshold: rare on random
// rows, common on crafted ties) is checked more weakly: the pick must be a token that some
// resolution of the ambiguous decisions keeps. Tests count those rows so they cannot
// pass by having only them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/backend.h"
#include "runtime/sampler.h"

namespace llmrun::testing {

struct Precision {
  double z_ulps = 0, exp_ulps = 0;  // relative error of the tested weights, in 2^-24
  double abs_per_token = 0;         // absolute error per weight (fixed-point truncation)
  double sum_rel = 0;               // relative error of the tested sums
};
// The CUDA kernel (fp32 weights, 2^-40 fixed-point masses summed exactly).
inline Precision fp32_kernel_precision() { return Precision{6.0, 4.0, 0x1p-40, 0.0}; }
// cpu::sample with top-k off: the reference's own double weights, sums in another order
// of at most n terms.
inline Precision double_precision(int64_t n) { return Precision{0.0, 0.0, 0.0, double(n) * 0x1p-52}; }

// The reference Sampler for the same parameters (as doubles of the fp32 values).
inline SamplerOptions reference_options(const SamplingParams& p) {
  SamplerOptions o;
  o.temperature = p.temperature;
  o.top_k = p.top_k;
  o.top_p = p.top_p;
  o.min_p = p.min_p;
  return o;
}

// Sampler::sample's inverse CDF over p at u.
inline int32_t reference_pick(const std::vector<double>& p, double u) {
  double cum = 0.0;
  int32_t last_nonzero = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 0.0) continue;
    last_nonzero = int32_t(i);
    cum += p[i];
    if (u < cum) return int32_t(i);
  }
  return last_nonzero;
}

// One row's reference and margins, shared by every u tested on it.
class ReferenceRow {
 public:
  ReferenceRow(const std::vector<float>& logits, const SamplingParams& params, const Precision& precision)
      : logits_(logits),
        p_(Sampler(reference_options(params)).distribution(logits.data(), int64_t(logits.size()), {})) {
    const int64_t n = int64_t(logits.size());
    const double t = params.temperature;
    std::vector<int32_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t a, int32_t b) { return logits[size_t(a)] > logits[size_t(b)]; });
    const double max = logits[size_t(order[0])];
    size_t keep = params.top_k > 0 ? std::min<size_t>(size_t(n), size_t(params.top_k)) : size_t(n);
    std::vector<double> w(keep), delta(keep);
    for (size_t i = 0; i < keep; ++i) {
      const double l = logits[size_t(order[i])];
      const double z = l == max ? 0.0 : (l - max) / t;
      w[i] = l == max ? 1.0 : std::exp(z);
      // (A weight of exactly 0, from a logit of -inf, is exactly 0 in the tested code too.)
      delta[i] = w[i] > 0.0 ? w[i] * (precision.z_ulps * std::fabs(z) + precision.exp_ulps) * 0x1p-24 : 0.0;
      delta[i] += precision.abs_per_token;
    }
    // Every token some resolution of the ambiguous decisions keeps.
    possible_.assign(size_t(n), false);
    size_t widest = keep;  // min-p and top-p at their most generous
    if (params.min_p > 0.0f) {
      size_t strict = 0, loose = 0;
      while (strict < keep && w[strict] - delta[strict] >= params.min_p) ++strict;
      while (loose < keep && w[loose] + delta[loose] >= params.min_p) ++loose;
      if (strict != loose) ambiguous_ = true, why_ = "min-p";
      keep = std::max<size_t>(strict, 1);  // the surely kept ...
      widest = std::max<size_t>(loose, 1);  // ... and the possibly kept
    }
    if (params.top_p < 1.0f) {
      auto cut = [&](size_t count, double slack) {  // the reference's prefix for target + slack
        double total = 0.0, cum = 0.0;
        for (size_t i = 0; i < count; ++i) total += w[i];
        size_t m = 0;
        while (m < count) {
          cum += w[m++];
          if (cum >= double(params.top_p) * total + slack) break;
        }
        return m;
      };
      double d = 0.0, total = 0.0;
      for (size_t i = 0; i < widest; ++i) d += delta[i], total += w[i];
      d += precision.sum_rel * total;
      const size_t low = cut(keep, -2.0 * d - 1e-12 * total), high = cut(widest, 2.0 * d + 1e-12 * total);
      if (low != high) ambiguous_ = true, why_ += " top-p";
      widest = high;
    }
    for (size_t i = 0; i < widest; ++i) possible_[size_t(order[i])] = true;
    // eps for the inverse CDF over the kept set (when not ambiguous, the kept set is p > 0).
    double s = 0.0, d = 0.0;
    for (size_t i = 0; i < widest; ++i) s += w[i], d += delta[i];
    d += precision.sum_rel * s;
    eps_ = 2.0 * d / (s - d) + 1e-12;
    cdf_.resize(size_t(n));
    double cum = 0.0;
    for (size_t i = 0; i < size_t(n); ++i) cdf_[i] = (cum += p_[i]);
  }

  bool ambiguous() const { return ambiguous_; }
  double eps() const { return eps_; }
  const std::vector<double>& distribution() const { return p_; }
  int32_t pick(double u) const { return reference_pick(p_, u); }

  // Empty when `got` is an acceptable pick at u; otherwise why not.
  std::string check(int32_t got, double u) const {
    std::ostringstream why;
    if (got < 0 || size_t(got) >= p_.size()) {
      why << "id " << got << " out of range";
      return why.str();
    }
    const int32_t want = pick(u);
    if (ambiguous_) {
      if (!possible_[size_t(got)]) why << "id " << got << " is kept by no resolution of the ambiguous " << why_;
      return why.str();
    }
    if (got == want) return "";
    if (p_[size_t(got)] == 0.0) {
      why << "id " << got << " has reference probability 0 (reference picks " << want << ")";
      return why.str();
    }
    const double lo = got == 0 ? 0.0 : cdf_[size_t(got) - 1], hi = cdf_[size_t(got)];
    if (u >= lo - eps_ && u < hi + eps_) return "";
    why << "id " << got << " (reference interval [" << lo << ", " << hi << ")) at u " << u << ", reference picks "
        << want << " [" << (want == 0 ? 0.0 : cdf_[size_t(want) - 1]) << ", " << cdf_[size_t(want)] << "), eps "
        << eps_;
    return why.str();
  }

 private:
  std::vector<float> logits_;
  std::vector<double> p_, cdf_;
  std::vector<bool> possible_;
  bool ambiguous_ = false;
  std::string why_;
  double eps_ = 0.0;
};

// Rows that stress a sampler, for a vocabulary of n: random (two scales), few distinct
// values (long runs of ties at every threshold, the top-k boundary included), one huge
// spike, flat, +0/-0 mixed (equal logits), and all -inf but five (masked).
struct TestRow {
  std::string name;
  std::vector<float> logits;
};
inline std::vector<float> normal_logits(int64_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n), 0.0f);
  for (float& x : v) x = d(rng);
  return v;
}
inline std::vector<TestRow> sampler_test_rows(int64_t n, uint32_t seed) {
  std::vector<TestRow> rows;
  rows.push_back({"normal(2)", normal_logits(n, 2.0f, seed)});
  rows.push_back({"normal(6)", normal_logits(n, 6.0f, seed + 1)});
  std::vector<float> ties = normal_logits(n, 1.5f, seed + 2);
  for (float& x : ties) x = std::round(x * 2.0f) / 2.0f;
  rows.push_back({"ties", ties});
  std::vector<float> spike = normal_logits(n, 1.0f, seed + 3);
  spike[size_t(n / 3)] = 1e4f;
  rows.push_back({"spike", spike});
  rows.push_back({"flat", std::vector<float>(size_t(n), 3.25f)});
  std::vector<float> zeros(size_t(n), 0.0f);
  for (size_t i = 0; i < zeros.size(); i += 3) zeros[i] = -0.0f;
  rows.push_back({"signed zeros", zeros});
  std::vector<float> masked(size_t(n), -std::numeric_limits<float>::infinity());
  std::mt19937 rng(seed + 4);
  for (int i = 0; i < 5; ++i) masked[rng() % size_t(n)] = float(i) * 0.5f;
  rows.push_back({"masked", masked});
  return rows;
}

// The grid of filters: top-k off, 1, 20, beyond the vocabulary (and `extra_k`, if > 0),
// top-p off, 0.95, 0.5, tiny; min-p off and 0.05; temperatures 0.7, 1, 1.5.
inline std::vector<SamplingParams> sampler_param_grid(int64_t vocab, int64_t extra_k = 0) {
  std::vector<SamplingParams> grid;
  std::vector<int64_t> ks = {0, 1, 20, vocab + 5};
  if (extra_k > 0) ks.push_back(extra_k);
  for (int64_t k : ks)
    for (float top_p : {1.0f, 0.95f, 0.5f, 1e-6f})
      for (float min_p : {0.0f, 0.05f})
        for (float t : {0.7f, 1.0f, 1.5f}) grid.push_back(SamplingParams{t, k, top_p, min_p});
  return grid;
}

inline std::string describe(const std::string& row, const SamplingParams& p, double u) {
  std::ostringstream s;
  s << row << " T=" << p.temperature << " top_k=" << p.top_k << " top_p=" << p.top_p << " min_p=" << p.min_p
    << " u=" << u;
  return s.str();
}

// u values that probe a row: fixed ones (0, the largest float below 1, ...), random ones,
// and points just inside and outside the reference's interval boundaries near the top.
inline std::vector<float> probe_uniforms(const std::vector<double>& p, uint32_t seed, int random_count) {
  std::vector<float> u = {0.0f, 0x1.fffffep-1f};
  uint64_t state = seed * 0x9e3779b97f4a7c15ull + 1;
  for (int i = 0; i < random_count; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    u.push_back(float(double(state >> 40) * 0x1p-24));
  }
  // Boundaries of the first few kept ids in id order (just below and above each).
  double cum = 0.0;
  int boundaries = 0;
  for (size_t i = 0; i < p.size() && boundaries < 2; ++i) {
    if (p[i] == 0.0) continue;
    cum += p[i];
    if (cum >= 1.0) break;
    u.push_back(std::nextafter(float(cum), 0.0f));
    u.push_back(std::nextafter(float(cum), 1.0f));
    ++boundaries;
  }
  for (float& x : u) x = std::min(std::max(x, 0.0f), 0x1.fffffep-1f);
  return u;
}

}  // namespace llmrun::testing
