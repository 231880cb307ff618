#pragma once
// Which weights can take fewer bits: the KL increase (vs the unchanged model) when only
// one tensor is quantized to a candidate format, for every layer x projection and for the
// embedding (with the LM head when tied) and an untied LM head; then a per-tensor plan
// under a KL or byte budget over all of them (llama.cpp's files quantize the embedding
// too, so bits per weight compare over the same tensors).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eval/results.h"
#include "kernels/quant/weight_format.h"
#include "runtime/importance_matrix.h"
#include "runtime/models/decoder.h"
#include "runtime/models/weight_table.h"

namespace llmrun::eval {

struct TensorSensitivity {
  std::string name;        // HF tensor name
  int64_t layer = 0;       // the first layer a swap changes: -1 for the embedding
  std::string projection;  // q, k, v, o, gate, up, down; empty for the embedding / LM head
  WeightRole role = WeightRole::linear;
  int64_t rows = 0, cols = 0;
  std::map<WeightFormat, double> kl;  // mean KL increase per candidate format
};

// The formats a plan chooses from unless told otherwise (llmeval sensitivity --candidates,
// --precision auto:...): a Pareto front measured on SmolLM2 (docs/ACCURACY.md) from
// 6 to 8.5 bits; fp8 and E3M2 are left out, each beaten by an E2M3 variant at fewer bits.
// The 6.25-bit step (g64) costs a fifth more measuring and lowered the 6.5-bit plan's
// predicted KL by a tenth on SmolLM2 (most of its tensors took it).
inline const char kDefaultPlanCandidates[] = "fp6-e2m3,fp6-e2m3-g64,fp6-e2m3-g32,int8-row,int8-g32";

// "int8-row,fp6-e2m3" -> formats; throws llmrun::Error naming the bad one.
std::vector<WeightFormat> parse_candidates(const std::string& list);

// Bytes a [rows, cols] weight takes in `format` (codes + per-row scales).
int64_t weight_bytes(WeightFormat format, int64_t rows, int64_t cols);

// `model` is loaded from `checkpoint_dir` (a checkpoint folder or a GGUF file, read
// through runtime/weight_source) at the baseline precision; each planned tensor (the
// linear ones, the embedding, an untied LM head) is re-encoded from the checkpoint into
// each candidate, swapped in, measured over the calibration windows, and swapped back.
// `importance` (--imatrix) weights the candidates' encodings as the loader would.
std::vector<TensorSensitivity> measure_sensitivity(DecoderModel& model, const std::string& checkpoint_dir,
                                                   const std::vector<int32_t>& calibration, int64_t context,
                                                   const std::vector<WeightFormat>& candidates,
                                                   const std::function<void(int64_t, int64_t)>& progress = nullptr,
                                                   const ImportanceMatrix* importance = nullptr);

// The measurements of an earlier run, as its results.json holds them (one [layer][projection]
// grid per candidate, the other tensors by name), for the planned tensors of `model`; the
// embedding and LM head only where every grid has them (runs before 2026-12-02 planned the
// linear tensors alone). Throws llmrun::Error naming `source` when a grid does not fit the
// model or a tensor has no value.
std::vector<TensorSensitivity> sensitivity_from_grids(DecoderModel& model, const std::vector<SensitivityGrid>& grids,
                                                      const std::string& source);

struct PlanBudget {
  std::optional<double> max_kl;      // minimize bytes with summed KL <= this
  std::optional<int64_t> max_bytes;  // minimize summed KL with the planned tensors' bytes <= this
  std::optional<double> bits;        // the same, as bits per planned weight
};

struct PrecisionPlan {
  std::vector<std::pair<std::string, WeightFormat>> tensors;
  double predicted_kl = 0;  // sum of the chosen per-tensor KL increases
  int64_t bytes = 0;        // the planned tensors' (norms are not planned)
};

// Whether measure_sensitivity plans this tensor: the linear ones, the embedding, an untied
// LM head.
bool is_planned(const WeightSlot& slot);

// Greedy by KL reduction per extra byte, from every tensor at its smallest candidate,
// upgrading along each tensor's Pareto front (the baseline format costs no KL).
// Throws llmrun::Error when the budget cannot be met.
PrecisionPlan make_plan(const std::vector<TensorSensitivity>& sensitivity, WeightFormat baseline,
                        const PlanBudget& budget);

}  // namespace llmrun::eval
