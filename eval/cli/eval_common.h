#pragma once
// Shared by the llmeval subcommands: the precision list, loading a model at a
// precision, report metadata and output.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eval/progress.h"
#include "eval/results.h"
#include "runtime/backend.h"
#include "runtime/model_loader.h"

namespace llmrun::eval {

struct CommonOptions {
  std::string model;
  std::string precisions = "fp16,int8,fp8,fp6";
  std::string baseline = "fp16";
  std::string device = "auto";
  std::string activations = "auto";
  std::string cpu_isa = "auto";
  int threads = 0;
  std::string out;  // --out DIR: results.json, results.csv, chart.svg
  std::string imatrix = "auto";  // --imatrix (resolve_imatrix): weights the scale search of every precision but the baseline
};

// "fp16,int8,mixed:attn=fp8,mlp=fp6,@plan.json" -> {"fp16","int8","mixed:attn=fp8,mlp=fp6","@plan.json"}:
// a piece with '=' but no ':' continues the mixed: spec before it. The baseline comes
// first and appears once. Each spec is validated (UsageError naming --precisions).
std::vector<std::string> precision_list(const std::string& list, const std::string& baseline);

class EvalContext {
 public:
  explicit EvalContext(const CommonOptions& options);
  const std::string& model_dir() const { return model_dir_; }
  Backend& backend() { return *backend_; }
  // Loads the model at one precision (logs a line on stderr).
  LoadedModel load(const std::string& precision);
  // A report with info filled in: model, hardware, versions, git commit, date.
  EvalReport new_report(const std::string& task) const;
  // Markdown on stdout; with --out, the files too.
  void finish(const EvalReport& report) const;
  const CommonOptions& options() const { return options_; }
  // The importance matrix that weighs loads at any of `precisions` (--imatrix; by default
  // the probe, measured at the first precision that needs it), or null.
  const ImportanceMatrix* importance(const std::vector<std::string>& precisions);

 private:
  CommonOptions options_;
  std::string model_dir_;
  std::unique_ptr<Backend> backend_;
  std::optional<ImportanceMatrix> importance_;
};


// Fills a row's size fields from a load summary.
void fill_size(PrecisionRow& row, const LoadSummary& summary);

}  // namespace llmrun::eval
