#pragma once
// Sampling a token from logits on the CPU without sorting the vocabulary: the same
// filters and inverse CDF as runtime/sampler.cpp's Sampler (the reference), in double.
//
//   top-k on:  one pass keeps a buffer of candidates above the running k-th best
//              (nth_element when it fills), then the k survivors are sorted:
//              O(vocab + k log k), and every later step runs on them in the reference's
//              own order and arithmetic, so the pick is the reference's, bit for bit.
//   top-k off: weights for the whole row, min-p as a threshold, top-p from the mass per
//              bin of (max - l) / T (a monotone binning), sorting only the bin holding
//              the cut: O(vocab) plus that bin. Sums run in another order than the
//              reference's sorted one, so a CDF boundary may move by the rounding of a
//              double sum of <= vocab terms (<= vocab * 2^-53 relative): the pick can
//              differ only for u that close.
// Ties are the reference's: among equal logits the lower id comes first (its stable sort).
// Logits equal to the maximum weigh exactly 1, so a row of -inf is a uniform choice among
// the kept ids where the reference would compute NaN probabilities.
#include <cstdint>

#include "runtime/backend.h"

namespace llmrun::cpu {

// A token drawn from logits[vocab] (fp32) under `params` at u in [0, 1): the first id, in
// increasing id order, at which the cumulative filtered probability exceeds u, or the last
// id of non-zero probability when rounding leaves u above the total; -1 for a broken row
// (row_is_broken).
// params.temperature > 0. Thread-safe (scratch is per thread).
int32_t sample(const float* logits, int64_t vocab, const SamplingParams& params, double u);

// Whether l[0..n) holds a NaN or +inf: a broken row of logits, for which argmax and sample
// give -1 (-inf is a valid, masked logit).
bool row_is_broken(const float* l, int64_t n);

}  // namespace llmrun::cpu
