// llmeval sensitivity: per-tensor KL increases -> a mixed-precision plan, checked on
// held-out text against uniform precisions of similar size.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "eval/cli/commands.h"
#include "eval/data_path.h"
#include "eval/kl_compare.h"
#include "eval/sensitivity.h"
#include "loaders/tokenizer/tokenizer.h"
#include "runtime/cli/cli_common.h"
#include "runtime/error.h"
#include "runtime/precision_policy.h"

namespace llmrun::eval {
namespace {

std::vector<WeightFormat> candidate_list(const std::string& list) {
  std::vector<WeightFormat> out;
  cli::as_usage_error([&] { out = parse_candidates(list); });
  return out;
}

// The sensitivity grids of an earlier `llmeval sensitivity -o DIR` (DIR/results.json),
// refused unless they were measured on this model, baseline, importance matrix, calibration
// length and window.
std::vector<TensorSensitivity> measured_sensitivity(const std::string& file, DecoderModel& model,
                                                    const std::string& model_dir, const std::string& baseline,
                                                    const std::string& common_imatrix, const SensitivityOptions& o) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(cli::read_input_file(file, "--measured"));
  } catch (const nlohmann::json::exception& e) {
    fail("--measured ", file, ": not JSON (", e.what(), ")");
  }
  auto text = [&](const nlohmann::json& v, const std::string& key) -> std::string {
    if (!v.is_object() || !v.contains(key) || !v[key].is_string())
      fail("--measured ", file, ": no string \"", key, "\" (write it with llmeval sensitivity -o DIR)");
    return v[key].get<std::string>();
  };
  if (text(j, "task") != "sensitivity") fail("--measured ", file, ": task is \"", text(j, "task"), "\", not sensitivity");
  auto same = [&](const std::string& what, const std::string& there, const std::string& here, const std::string& flag) {
    if (there != here)
      fail("--measured ", file, ": measured with ", what, " ", there, ", this run has ", here, " (", flag, ")");
  };
  same("model", text(j, "model"), model_dir, "--model");
  same("baseline", text(j, "baseline"), baseline, "--baseline");
  same("calibration tokens", text(j["info"], "calibration_tokens"), std::to_string(o.calib_tokens), "--calib-tokens");
  const std::string imatrix = j["info"].is_object() && j["info"].contains("imatrix") ? text(j["info"], "imatrix") : "none";
  same("importance matrix", imatrix, common_imatrix.empty() ? "none" : common_imatrix, "--imatrix");
  same("window", text(j["info"], "context"), std::to_string(std::min(o.ctx, model.config().max_position_embeddings)),
       "--ctx");
  std::vector<SensitivityGrid> grids;
  try {
    for (const auto& g : j.at("sensitivity")) {
      SensitivityGrid grid;
      grid.format = g.at("format").get<std::string>();
      grid.projections = g.at("projections").get<std::vector<std::string>>();
      grid.kl = g.at("kl").get<std::vector<std::vector<double>>>();
      if (g.contains("tensors")) grid.tensors = g.at("tensors").get<std::map<std::string, double>>();
      grids.push_back(std::move(grid));
    }
  } catch (const nlohmann::json::exception& e) {
    fail("--measured ", file, ": sensitivity: ", e.what());
  }
  return sensitivity_from_grids(model, grids, "--measured " + file);
}

}  // namespace

int run_sensitivity(const CommonOptions& common, const SensitivityOptions& o) {
  const int budgets = (o.max_kl > 0) + (o.max_bytes > 0) + (o.bits > 0);
  if (budgets != 1) throw cli::UsageError("give exactly one budget: --max-kl, --max-bytes or --bits");
  EvalContext ctx(common);
  const std::string path = calibration_text_path(o.calib);
  std::vector<int32_t> ids = load_tokenizer(ctx.model_dir())->encode(cli::read_input_file(path, "--calib"), true);
  if (int64_t(ids.size()) < o.calib_tokens + 2)
    fail("--calib ", path, ": ", ids.size(), " tokens, fewer than --calib-tokens ", o.calib_tokens);
  const std::vector<int32_t> calib(ids.begin(), ids.begin() + o.calib_tokens);
  const int64_t holdout_end = std::min<int64_t>(int64_t(ids.size()), o.calib_tokens + o.holdout_tokens);
  const std::vector<int32_t> holdout(ids.begin() + o.calib_tokens, ids.begin() + holdout_end);

  LoadedModel base = ctx.load(common.baseline);
  const int64_t window = std::min(o.ctx, base.config.max_position_embeddings);
  const WeightFormat baseline = parse_weight_format(common.baseline);
  std::vector<WeightFormat> candidates;
  std::vector<TensorSensitivity> sens;
  if (o.measured.empty()) {
    candidates = candidate_list(o.candidates);
    std::vector<std::string> names;
    for (WeightFormat f : candidates) names.push_back(format_name(f));
    sens = measure_sensitivity(*base.model, ctx.model_dir(), calib, window, candidates, progress_callback("sensitivity"),
                               ctx.importance(names));
  } else {
    sens = measured_sensitivity(o.measured, *base.model, ctx.model_dir(), common.baseline, common.imatrix, o);
    for (const auto& [f, kl] : sens.front().kl) candidates.push_back(f);
    std::cerr << "llmeval: re-planning from the measurements in " << o.measured << "\n";
  }

  PlanBudget budget;
  int64_t planned_params = 0;
  for (const TensorSensitivity& t : sens) planned_params += t.rows * t.cols;
  if (o.max_kl > 0) budget.max_kl = o.max_kl;
  if (o.max_bytes > 0) budget.max_bytes = o.max_bytes;
  if (o.bits > 0) budget.bits = o.bits;
  const PrecisionPlan plan = make_plan(sens, baseline, budget);
  write_precision_plan(o.plan, plan.tensors, std::nullopt,
                       "llmeval sensitivity on " + ctx.model_dir() + ": predicted KL " + std::to_string(plan.predicted_kl) +
                           ", planned weights " + std::to_string(plan.bytes) + " bytes (" +
                           std::to_string(8.0 * double(plan.bytes) / double(planned_params)) + " bits/weight)");
  std::cerr << "llmeval: wrote " << o.plan << ": predicted KL " << plan.predicted_kl << ", "
            << 8.0 * double(plan.bytes) / double(planned_params) << " bits per planned weight ("
            << sens.size() << " tensors)\n";

  EvalReport report = ctx.new_report("sensitivity");
  report.info["calibration"] = path + " (first " + std::to_string(calib.size()) + " tokens)";
  // What --measured checks a later re-plan against.
  report.info["calibration_tokens"] = std::to_string(calib.size());
  report.info["context"] = std::to_string(window);
  report.info["holdout"] = std::to_string(holdout.size()) + " tokens after the calibration";
  report.info["plan"] = o.plan;
  for (WeightFormat f : candidates) {
    SensitivityGrid grid;
    grid.format = format_name(f);
    grid.projections = {"q", "k", "v", "o", "gate", "up", "down"};
    grid.kl.assign(size_t(base.config.num_layers), std::vector<double>(grid.projections.size(), 0.0));
    for (const TensorSensitivity& t : sens) {
      const size_t col = size_t(std::find(grid.projections.begin(), grid.projections.end(), t.projection) -
                                grid.projections.begin());
      if (col < grid.projections.size()) grid.kl[size_t(t.layer)][col] = t.kl.at(f);
      else grid.tensors[t.name] = t.kl.at(f);
    }
    report.sensitivity.push_back(grid);
  }
  // The plan and the uniform candidates, measured on held-out text against the baseline;
  // each candidate over the same tensors as the plan (the embedding / LM head too when
  // planned), so the bytes compare.
  bool plans_embedding = false, plans_head = false;
  for (const TensorSensitivity& t : sens) {
    plans_embedding = plans_embedding || t.role == WeightRole::embedding;
    plans_head = plans_head || t.role == WeightRole::lm_head;
  }
  auto uniform = [&](WeightFormat f) {
    const std::string name = format_name(f);
    if (!plans_embedding && !plans_head) return name;
    return "mixed:attn=" + name + ",mlp=" + name + (plans_embedding ? ",embed=" + name : "") +
           (plans_head ? ",lm_head=" + name : "");
  };
  PrecisionRow base_row;
  base_row.precision = common.baseline;
  fill_size(base_row, base.summary);
  report.rows.push_back(base_row);
  if (holdout.size() >= 2) {
    std::vector<std::string> specs = {"@" + o.plan};
    for (WeightFormat f : candidates) specs.push_back(uniform(f));
    for (const std::string& spec : specs) {
      LoadedModel m = ctx.load(spec);
      const KlResult r = compare_models(*base.model, *m.model, holdout, window, progress_callback(spec));
      PrecisionRow row;
      row.precision = spec;
      fill_size(row, m.summary);
      row.mean_kl = r.mean_kl;
      row.p99_kl = r.p99_kl;
      row.top1_agreement = r.top1_agreement;
      row.perplexity = r.test_perplexity;
      row.delta_perplexity = r.test_perplexity - r.base_perplexity;
      report.rows.front().perplexity = r.base_perplexity;
      report.rows.push_back(row);
    }
  }
  ctx.finish(report);
  return 0;
}

}  // namespace llmrun::eval
