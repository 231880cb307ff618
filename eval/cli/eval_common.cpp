#include "eval/cli/eval_common.h"

#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>

#include "eval/auto_precision.h"
#include "eval/importance.h"
#include "eval/progress.h"
#include "eval/report/report.h"
#include "llmrun_git_commit.h"  // generated: eval/git_commit.cmake
#include "runtime/cli/cli_common.h"
#include "runtime/error.h"
#include "runtime/hardware.h"

namespace llmrun::eval {

std::vector<std::string> precision_list(const std::string& list, const std::string& baseline) {
  std::vector<std::string> pieces;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    const std::string piece = list.substr(start, end - start);
    const bool continues_mixed = piece.find('=') != std::string::npos && piece.find(':') == std::string::npos &&
                                 !pieces.empty() && pieces.back().rfind("mixed:", 0) == 0;
    if (continues_mixed) pieces.back() += "," + piece;
    else if (!piece.empty()) pieces.push_back(piece);
    start = end + 1;
  }
  std::vector<std::string> out = {baseline};
  for (const std::string& p : pieces)
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  for (const std::string& p : out) {
    try {
      check_precision_spec(p);
    } catch (const Error& e) {
      // The policy names its own flag (--precision: ...); here the flag is --precisions.
      std::string why = e.what();
      if (why.rfind("--precision", 0) == 0) why = why.substr(why.find(':') + 2);
      throw cli::UsageError("--precisions: " + why);
    }
  }
  return out;
}

EvalContext::EvalContext(const CommonOptions& options) : options_(options) {
  if (options_.model.empty()) throw cli::UsageError("--model is required");
  model_dir_ = cli::resolve_model_dir(options_.model);
  backend_ = make_backend(
      {options_.device, cli::capped_threads(options_.threads, "llmeval"), options_.activations, options_.cpu_isa});
  // A given matrix is read (or measured) now, so a bad one fails before any work.
  if (options_.imatrix != "auto")
    importance_ = importance_for(resolve_imatrix(options_.imatrix, model_dir_, {}), model_dir_, *backend_);
}

const ImportanceMatrix* EvalContext::importance(const std::vector<std::string>& precisions) {
  if (options_.imatrix == "auto") {
    if (resolve_imatrix("auto", model_dir_, precisions).empty()) return nullptr;
    if (!importance_) importance_ = importance_for("probe", model_dir_, *backend_);
  }
  return importance_ ? &*importance_ : nullptr;
}

LoadedModel EvalContext::load(const std::string& precision) {
  const auto t0 = std::chrono::steady_clock::now();
  LoadOptions load;
  // The baseline is the reference the importance-weighted precisions are compared with.
  if (precision != options_.baseline) load.importance = importance({precision});
  load.precision = resolve_precision(precision, model_dir_, *backend_, load.importance);
  load.progress = [bar = progress_callback("loading " + precision + " MiB")](int64_t done, int64_t total) {
    bar(done >> 20, total >> 20);
  };
  LoadedModel m = load_model(model_dir_, *backend_, load);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "llmeval: loaded " << precision << " in " << s << " s: " << m.summary.describe() << "\n";
  return m;
}

EvalReport EvalContext::new_report(const std::string& task) const {
  EvalReport r;
  r.task = task;
  r.model = model_dir_;
  r.baseline = options_.baseline;
  const HardwareInfo hw = detect_hardware();
  r.info["hardware"] = hardware_line(hw);
  r.info["backend"] = backend_->name();
  if (!options_.imatrix.empty() && options_.imatrix != "none") r.info["imatrix"] = options_.imatrix;
  r.info["llmrun_version"] = "0.1.0";
  r.info["git_commit"] = LLMRUN_GIT_COMMIT;
  r.info["compiler"] = __VERSION__;
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  r.info["date"] = date;
  return r;
}

void EvalContext::finish(const EvalReport& report) const {
  std::cout << markdown_table(report) << std::flush;
  if (!options_.out.empty()) {
    write_all(options_.out, report);
    std::cerr << "llmeval: wrote results.json, results.csv and charts to " << options_.out << "\n";
  }
}

void fill_size(PrecisionRow& row, const LoadSummary& summary) {
  row.weight_bytes = summary.total_bytes();
  row.bits_per_weight = summary.bits_per_weight();
}

}  // namespace llmrun::eval
