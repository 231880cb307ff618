#include "eval/auto_precision.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <iostream>

#include "eval/data_path.h"
#include "eval/progress.h"
#include "loaders/checkpoint_fingerprint.h"
#include "loaders/sha256.h"
#include "loaders/tokenizer/tokenizer.h"
#include "runtime/error.h"
#include "runtime/model_loader.h"
#include "runtime/precision_policy.h"

namespace llmrun::eval {
namespace {

constexpr int64_t kCalibrationTokens = 2048;
constexpr int64_t kWindow = 512;

}  // namespace

std::optional<PlanBudget> parse_auto_spec(const std::string& spec) {
  if (spec.rfind("auto:", 0) != 0) return std::nullopt;
  const std::string body = spec.substr(5);
  const size_t eq = body.find('=');
  if (eq == std::string::npos) fail("--precision ", spec, ": expected auto:max-kl=X, auto:bits=B or auto:max-bytes=N");
  const std::string key = body.substr(0, eq), value = body.substr(eq + 1);
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(v > 0)) fail("--precision ", spec, ": '", value, "' is not a positive number");
  PlanBudget b;
  if (key == "max-kl") b.max_kl = v;
  else if (key == "max-bytes") b.max_bytes = int64_t(v);
  else if (key == "bits") b.bits = v;
  else fail("--precision ", spec, ": unknown budget '", key, "' (valid: max-kl, bits, max-bytes)");
  return b;
}

void check_precision_spec(const std::string& spec, const std::vector<std::string>& tensor_overrides) {
  if (!parse_auto_spec(spec)) PrecisionPolicy::parse(spec, tensor_overrides);
}

std::string resolve_precision(const std::string& spec, const std::string& model_dir, Backend& backend,
                              const ImportanceMatrix* importance, const std::string& calib_path) {
  std::optional<PlanBudget> budget = parse_auto_spec(spec);
  if (!budget) return spec;
  namespace fs = std::filesystem;
  std::string calib = calib_path;
  if (calib.empty()) {
    const std::optional<std::string> found = data_file("wiki.test.raw");
    if (!found)
      fail("--precision ", spec, ": needs calibration text at ", data_file_location("wiki.test.raw"),
           " (set LLMRUN_DATA to a folder holding WikiText-2's wiki.test.raw, or run llmeval sensitivity --calib FILE "
           "and pass --precision @plan.json)");
    calib = *found;
  }
  // The plan depends on the weights (by content: a copied or moved checkpoint reuses it, a
  // fine-tune does not), the budget, the calibration text, the candidate formats and which
  // tensors are planned (since 2026-12-02 the embedding too: older plans are not reused),
  // and the importance matrix by content when one is given (keys made without stay valid).
  const std::vector<WeightFormat> candidates = parse_candidates(kDefaultPlanCandidates);
  std::string identity = "checkpoint " + checkpoint_fingerprint(model_dir) + "\nspec " + spec + "\ncalibration " +
                         sha256_file(calib) + "\nplanned linear+embedding+lm_head\ncandidates";
  for (WeightFormat f : candidates) identity += std::string(" ") + format_name(f);
  if (importance) identity += "\nimportance " + sha256_file(importance->path);
  const std::string key = sha256_hex(identity).substr(0, 16);
  const std::string plan_path = cache_folder("plans") + "/" + key + ".json";
  if (fs::exists(plan_path)) {
    std::cerr << "llmrun: " << spec << ": using the cached plan " << plan_path << "\n";
    return "@" + plan_path;
  }
  std::cerr << "llmrun: " << spec << ": measuring per-tensor sensitivity on " << calib << " (runs once; cached)\n";
  // The reference is the checkpoint as stored (its own dtype), not a fixed fp16.
  const WeightFormat baseline = baseline_format(config_of_model(model_dir));
  LoadOptions load;
  load.precision = format_name(baseline);
  LoadedModel base = load_model(model_dir, backend, load);
  std::ifstream in(calib, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<int32_t> ids = load_tokenizer(model_dir)->encode(text, true);
  if (int64_t(ids.size()) > kCalibrationTokens) ids.resize(size_t(kCalibrationTokens));
  const auto sens =
      measure_sensitivity(*base.model, model_dir, ids, std::min(kWindow, base.config.max_position_embeddings), candidates,
                          progress_callback("sensitivity"), importance);
  const PrecisionPlan plan = make_plan(sens, baseline, *budget);
  fs::create_directories(cache_folder("plans"));
  write_precision_plan(plan_path, plan.tensors, std::nullopt,
                       spec + " for " + model_dir + (importance ? " with --imatrix " + importance->path : std::string()) +
                           ": predicted KL " + std::to_string(plan.predicted_kl));
  std::cerr << "llmrun: wrote plan " << plan_path << " (predicted KL " << plan.predicted_kl << ")\n";
  return "@" + plan_path;
}

}  // namespace llmrun::eval
