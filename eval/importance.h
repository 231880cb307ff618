#pragma once
// Measures an importance matrix (runtime/importance_matrix.h): the model runs over
// calibration text at its checkpoint's precision, and every linear op's input is summed
// per column on the way (ImportanceRecorder wraps the backend, so it works on any device).
// Without text, the model samples its own (measure_importance_self): on SmolLM2 a matrix
// from 1,024 self-sampled tokens lowered fp6's KL on WikiText-2 as much as one from 4,096
// tokens of WikiText-2 itself (docs/ACCURACY.md).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/importance_matrix.h"
#include "runtime/model_loader.h"

namespace llmrun::eval {

// Loads `model_dir` at "auto" precision (its own dtype) on `backend`, runs `calibration`
// in windows of `context` tokens (fresh cache each, logits of every row, so a tied LM head
// sees every token), and returns mean x_j^2 per linear weight over all of them.
// progress(windows done, windows) after each window when given.
ImportanceMatrix measure_importance(const std::string& model_dir, Backend& backend,
                                    const std::vector<int32_t>& calibration, int64_t context,
                                    const std::function<void(int64_t, int64_t)>& progress = nullptr);

struct SelfCalibration {
  int64_t tokens = 1024;      // tokens fed through the model in all
  int64_t context = 512;      // each sample starts afresh from the start token after this many
  double temperature = 0.8;   // plain sampling (no top-k/top-p/min-p)
  uint64_t seed = 0;
};

// The same, on text the model samples itself: from its BOS token (or, without one, its
// first EOS token, the document separator of models that have no BOS), at o.temperature,
// until an EOS token or o.context tokens, again until o.tokens have been fed. Each sampled
// token passes every linear op once on its way (the decode step that reads it), so the
// sampling is the measurement. progress(tokens done, o.tokens) after each sample; `fed`,
// when given, receives each sample's tokens as fed (the start token, then all sampled
// tokens but the last).
ImportanceMatrix measure_importance_self(const std::string& model_dir, Backend& backend, const SelfCalibration& o,
                                         const std::function<void(int64_t, int64_t)>& progress = nullptr,
                                         std::vector<std::vector<int32_t>>* fed = nullptr);

// How a self-sampled matrix was made, for its file's metadata.
std::string self_description(const SelfCalibration& o);

struct ProbeCalibration {
  int64_t tokens = 512;   // random token ids in all
  int64_t context = 512;  // window length (fresh cache each)
  uint64_t seed = 0;
};

// The same over uniformly random token ids (the tokenizer's, special ones left out): one
// prefill, no text and no sampling. Which input columns are large is mostly the model's own
// (its outlier channels), not the text's: on SmolLM2, 512 random ids lowered fp6's KL on
// WikiText-2 nearly as much as 1,024 self-sampled tokens (docs/ACCURACY.md).
ImportanceMatrix measure_importance_probe(const std::string& model_dir, Backend& backend, const ProbeCalibration& o,
                                          const std::function<void(int64_t, int64_t)>& progress = nullptr);

// The ids measure_importance_probe feeds: o.tokens draws from the ids below
// min(config.vocab_size, the tokenizer's vocabulary) that are not special tokens (without a
// tokenizer: the ids below config.vocab_size but its BOS and EOS ids).
std::vector<int32_t> probe_ids(const std::string& model_dir, const ModelConfig& config, const ProbeCalibration& o);
std::string probe_description(const ProbeCalibration& o);

// What an --imatrix value names: nothing (empty), the matrix measure_importance_self makes
// with SelfCalibration's defaults ("self") or measure_importance_probe with
// ProbeCalibration's ("probe") -- each measured on `backend` once per checkpoint content,
// then read from $XDG_CACHE_HOME/llmrun/imatrix -- or a file.
std::optional<ImportanceMatrix> importance_for(const std::string& imatrix, const std::string& model_dir,
                                               Backend& backend);
// True for the values importance_for measures ("self", "probe"), which need a backend.
bool importance_is_measured(const std::string& imatrix);

// What --imatrix means when given as `auto` (its default): "probe" when an original
// checkpoint (not one `llmrun quantize` wrote) is loaded in some format whose scale search
// a matrix weighs -- any of `precisions` (an `auto:` budget counts: its plans use such
// formats), with `tensor_precision` -- else "" (none). Other values are returned as given,
// "none" as "".
std::string resolve_imatrix(const std::string& imatrix, const std::string& model_dir,
                            const std::vector<std::string>& precisions,
                            const std::vector<std::string>& tensor_precision = {});

}  // namespace llmrun::eval
