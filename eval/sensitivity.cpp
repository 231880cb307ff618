#include "eval/sensitivity.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "eval/log_probs.h"
#include "runtime/error.h"
#include "runtime/model_loader.h"
#include "runtime/models/weight_table.h"
#include "runtime/weight_source.h"

namespace llmrun::eval {

std::vector<WeightFormat> parse_candidates(const std::string& list) {
  std::vector<WeightFormat> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    out.push_back(parse_weight_format(list.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

int64_t weight_bytes(WeightFormat format, int64_t rows, int64_t cols) {
  const CodecRecord& c = codec(format);
  return rows * c.row_bytes(cols) + (c.scaled ? rows * int64_t(sizeof(float)) : 0);
}

bool is_planned(const WeightSlot& slot) {
  return slot.role == WeightRole::linear || slot.role == WeightRole::embedding || slot.role == WeightRole::lm_head;
}

namespace {

// A planned tensor's entry before any measurement: name, layer, projection, shape. A swap
// of the embedding changes the model from its first step on (layer -1: the whole forward);
// an untied LM head's changes only the head (its measurement re-runs the last layer).
TensorSensitivity unmeasured(const WeightSlot& slot, int64_t layers) {
  TensorSensitivity t;
  t.name = slot.hf_name;
  if (slot.role == WeightRole::linear) t.layer = std::stoll(slot.hf_name.substr(std::string("model.layers.").size()));
  else t.layer = slot.role == WeightRole::embedding ? -1 : layers - 1;
  t.projection = projection_of(slot.hf_name);
  t.role = slot.role;
  t.rows = slot.rows;
  t.cols = slot.cols;
  return t;
}

}  // namespace

std::vector<TensorSensitivity> measure_sensitivity(DecoderModel& model, const std::string& checkpoint_dir,
                                                   const std::vector<int32_t>& calibration, int64_t context,
                                                   const std::vector<WeightFormat>& candidates,
                                                   const std::function<void(int64_t, int64_t)>& progress,
                                                   const ImportanceMatrix* importance) {
  const int64_t vocab = model.config().vocab_size;
  if (calibration.size() < 2) fail("sensitivity: the calibration text has fewer than 2 tokens");
  // The unchanged model's logits, window by window: the reference every swap is measured
  // against ([positions, vocab] fp32 each).
  std::vector<std::vector<int32_t>> windows;
  for (size_t b = 0; b + 1 < calibration.size(); b += size_t(context))
    windows.emplace_back(calibration.begin() + long(b),
                         calibration.begin() + long(std::min(calibration.size(), b + size_t(context))));
  KvCache cache = model.new_cache(context);
  std::vector<std::vector<float>> reference;
  // The residual stream entering each layer, per window, kept on the backend: a swap in
  // layer l changes nothing before it, so each measurement starts there (the layers before
  // a tensor are on average half the work). [window][layer] -> [tokens, hidden] f32.
  Backend& backend = model.backend();
  const int64_t layers = model.config().num_layers;
  std::vector<std::vector<std::unique_ptr<Tensor>>> layer_inputs(windows.size());
  for (size_t i = 0; i < windows.size(); ++i) {
    cache.clear();
    auto& inputs = layer_inputs[i];
    for (int64_t l = 0; l < layers; ++l)
      inputs.push_back(backend.alloc(int64_t(windows[i].size()), model.config().hidden_size, TensorType::f32));
    auto keep = [&](const std::string& name, const Tensor& value) {
      int64_t l = -1;  // the layer this value enters
      if (name == "embed") l = 0;
      else if (name.rfind("layer.", 0) == 0) l = std::stoll(name.substr(6)) + 1;
      if (l >= 0 && l < layers) backend.put_rows(value, 0, *inputs[size_t(l)]);
    };
    reference.push_back(model.forward(windows[i], cache, LogitRows::all, keep));
  }
  auto mean_kl = [&](int64_t layer) {
    double sum = 0;
    int64_t n = 0;
    for (size_t i = 0; i < windows.size(); ++i) {
      cache.clear();
      const std::vector<float> q = layer < 0 ? model.forward(windows[i], cache, LogitRows::all)
                                             : model.forward_from_layer(layer, *layer_inputs[i][size_t(layer)], windows[i], cache);
      for (size_t j = 0; j + 1 < windows[i].size(); ++j, ++n)
        sum += kl_divergence(reference[i].data() + j * size_t(vocab), q.data() + j * size_t(vocab), vocab);
    }
    return sum / double(n);
  };

  const WeightSource source(checkpoint_dir);
  const std::vector<WeightSlot> table = weight_table(model.config(), model.mutable_weights());
  if (importance) check_importance(*importance, table, model.config());
  std::vector<WeightSlot> planned;
  for (const WeightSlot& slot : table)
    if (is_planned(slot)) planned.push_back(slot);
  const int64_t total = int64_t(planned.size() * candidates.size());
  int64_t done = 0;
  std::vector<TensorSensitivity> out;
  for (const WeightSlot& slot : planned) {
    TensorSensitivity t = unmeasured(slot, layers);
    const std::vector<float> values = source.read_f32(slot.hf_name);
    const std::vector<float>* weights_importance = nullptr;
    if (importance) {
      const auto it = importance->by_weight.find(slot.hf_name);
      if (it != importance->by_weight.end()) weights_importance = &it->second;
    }
    for (WeightFormat f : candidates) {
      std::unique_ptr<Weight> original = std::move(*slot.target);
      *slot.target =
          model.backend().upload(encode_weight(slot.hf_name, values, slot.rows, slot.cols, f, weights_importance));
      t.kl[f] = mean_kl(t.layer);
      *slot.target = std::move(original);
      if (progress) progress(++done, total);
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<TensorSensitivity> sensitivity_from_grids(DecoderModel& model, const std::vector<SensitivityGrid>& grids,
                                                      const std::string& source) {
  if (grids.empty()) fail(source, ": no sensitivity measurements");
  std::vector<WeightFormat> formats;
  for (const SensitivityGrid& g : grids) formats.push_back(parse_weight_format(g.format));
  std::vector<TensorSensitivity> out;
  for (const WeightSlot& slot : weight_table(model.config(), model.mutable_weights())) {
    if (!is_planned(slot)) continue;
    TensorSensitivity t = unmeasured(slot, model.config().num_layers);
    if (slot.role != WeightRole::linear) {
      size_t have = 0;
      for (const SensitivityGrid& g : grids) have += g.tensors.count(t.name);
      if (have == 0) continue;  // measured before the embedding was planned: it stays as loaded
      for (size_t k = 0; k < grids.size(); ++k) {
        const auto it = grids[k].tensors.find(t.name);
        if (it == grids[k].tensors.end())
          fail(source, ": the ", grids[k].format, " measurements have no value for ", t.name, " (others do)");
        if (!std::isfinite(it->second)) fail(source, ": ", grids[k].format, ": non-finite KL for ", t.name);
        t.kl[formats[k]] = it->second;
      }
      out.push_back(std::move(t));
      continue;
    }
    for (size_t k = 0; k < grids.size(); ++k) {
      const SensitivityGrid& g = grids[k];
      const WeightFormat f = formats[k];
      const auto col = std::find(g.projections.begin(), g.projections.end(), t.projection);
      if (g.kl.size() != size_t(model.config().num_layers) || col == g.projections.end() ||
          size_t(col - g.projections.begin()) >= g.kl[size_t(t.layer)].size())
        fail(source, ": the ", g.format, " measurements (", g.kl.size(), " layers) have no value for ", t.name,
             " of this model (", model.config().num_layers, " layers)");
      t.kl[f] = g.kl[size_t(t.layer)][size_t(col - g.projections.begin())];
      if (!std::isfinite(t.kl[f])) fail(source, ": ", g.format, ": non-finite KL for ", t.name);
    }
    out.push_back(std::move(t));
  }
  return out;
}

PrecisionPlan make_plan(const std::vector<TensorSensitivity>& sens, WeightFormat baseline, const PlanBudget& given) {
  PlanBudget budget = given;
  int64_t params = 0;
  for (const TensorSensitivity& t : sens) params += t.rows * t.cols;
  if (budget.bits) {
    budget.max_bytes = int64_t(*budget.bits * double(params) / 8.0);
  }
  if (!budget.max_kl && !budget.max_bytes) fail("sensitivity: give a budget (--max-kl, --max-bytes or --bits)");
  struct Option {
    WeightFormat format;
    int64_t bytes;
    double kl;
  };
  // Each tensor's Pareto front, cheapest first: more bytes must buy less KL.
  std::vector<std::vector<Option>> fronts;
  for (const TensorSensitivity& t : sens) {
    std::vector<Option> all = {{baseline, weight_bytes(baseline, t.rows, t.cols), 0.0}};
    for (const auto& [f, kl] : t.kl) all.push_back({f, weight_bytes(f, t.rows, t.cols), std::max(kl, 0.0)});
    std::sort(all.begin(), all.end(), [](const Option& a, const Option& b) {
      return a.bytes != b.bytes ? a.bytes < b.bytes : a.kl < b.kl;
    });
    std::vector<Option> front;
    for (const Option& o : all)
      if (front.empty() || (o.kl < front.back().kl && o.bytes > front.back().bytes)) front.push_back(o);
    fronts.push_back(front);
  }
  std::vector<size_t> choice(sens.size(), 0);
  PrecisionPlan plan;
  for (size_t i = 0; i < sens.size(); ++i) plan.bytes += fronts[i][0].bytes, plan.predicted_kl += fronts[i][0].kl;
  if (budget.max_bytes && plan.bytes > *budget.max_bytes) {
    if (given.bits)
      fail("sensitivity: even the smallest formats need ", 8.0 * double(plan.bytes) / double(params),
           " bits per planned weight (their scales included), over --bits ", *given.bits);
    fail("sensitivity: even the smallest formats need ", plan.bytes, " bytes of planned weights, over --max-bytes ",
         *budget.max_bytes);
  }
  for (;;) {
    if (budget.max_kl && plan.predicted_kl <= *budget.max_kl) break;
    size_t best = sens.size();
    double best_ratio = -1;
    for (size_t i = 0; i < sens.size(); ++i) {
      if (choice[i] + 1 >= fronts[i].size()) continue;
      const Option& cur = fronts[i][choice[i]];
      const Option& next = fronts[i][choice[i] + 1];
      if (budget.max_bytes && plan.bytes + (next.bytes - cur.bytes) > *budget.max_bytes) continue;
      const double ratio = (cur.kl - next.kl) / double(next.bytes - cur.bytes);
      if (ratio > best_ratio) best_ratio = ratio, best = i;
    }
    if (best == sens.size()) break;
    const Option& cur = fronts[best][choice[best]];
    const Option& next = fronts[best][++choice[best]];
    plan.bytes += next.bytes - cur.bytes;
    plan.predicted_kl += next.kl - cur.kl;
  }
  if (budget.max_kl && plan.predicted_kl > *budget.max_kl + 1e-12)
    fail("sensitivity: --max-kl ", *budget.max_kl, " cannot be met within the byte budget (best ", plan.predicted_kl, ")");
  for (size_t i = 0; i < sens.size(); ++i) plan.tensors.emplace_back(sens[i].name, fronts[i][choice[i]].format);
  return plan;
}

}  // namespace llmrun::eval
