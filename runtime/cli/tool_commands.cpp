// llmrun quantize / tokenize / detokenize.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>

#include "eval/auto_precision.h"
#include "loaders/tokenizer/tokenizer.h"
#include "runtime/cli/cli_common.h"
#include "eval/importance.h"
#include "runtime/cli/commands.h"
#include "runtime/model_loader.h"

namespace llmrun::cli {

int run_quantize(const QuantizeOptions& o) {
  as_usage_error([&] {
    eval::check_precision_spec(o.precision, o.tensor_precision);
  });
  const auto t0 = std::chrono::steady_clock::now();
  const std::string dir = resolve_model_dir(o.model);
  LoadOptions load;
  // A measured matrix (--imatrix self / probe) is measured on a GPU when there is one.
  const std::string imatrix = eval::resolve_imatrix(o.imatrix, dir, {o.precision}, o.tensor_precision);
  const std::optional<ImportanceMatrix> importance =
      eval::importance_is_measured(imatrix) ? eval::importance_for(imatrix, dir, *make_backend({"auto", 0}))
                                            : read_importance_matrix_if_given(imatrix);
  load.importance = importance ? &*importance : nullptr;
  if (eval::parse_auto_spec(o.precision)) {
    auto backend = make_backend({"cpu", 0});
    load.precision = eval::resolve_precision(o.precision, dir, *backend, load.importance);
  } else {
    load.precision = o.precision;
  }
  load.tensor_precision = o.tensor_precision;
  const LoadSummary summary = quantize_checkpoint(dir, o.out, load);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "llmrun: wrote " << o.out << " in " << s << " s; " << summary.describe() << "\n";
  return 0;
}

namespace {
// A folder (checkpoint or tokenizer folder) or a tokenizer file: both load directly;
// otherwise resolve it as a model name.
std::unique_ptr<Tokenizer> tokenizer_for(const std::string& model) {
  std::error_code ec;
  if (std::filesystem::exists(model, ec)) return load_tokenizer(model);
  return load_tokenizer(resolve_model_dir(model));
}
}  // namespace

int run_tokenize(const TokenizeOptions& o) {
  const std::string text = !o.file.empty() ? read_input_file(o.file, "-f") : o.text;
  const auto tok = tokenizer_for(o.model);
  const std::vector<int32_t> ids = tok->encode(text, !o.no_special);
  for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
  std::cout << "\n";
  return 0;
}

int run_detokenize(const TokenizeOptions& o) {
  std::string list = o.ids;
  if (list.empty()) list = read_input_file(o.file.empty() ? "-" : o.file, "-f");
  for (char& c : list)
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') c = ',';
  while (!list.empty() && list.back() == ',') list.pop_back();
  while (!list.empty() && list.front() == ',') list.erase(0, 1);
  std::string compact;
  for (size_t i = 0; i < list.size(); ++i)
    if (!(list[i] == ',' && i > 0 && list[i - 1] == ',')) compact += list[i];
  const auto tok = tokenizer_for(o.model);
  std::cout << tok->decode(compact.empty() ? std::vector<int32_t>{} : parse_id_list(compact, "ids"), o.no_special);
  return 0;
}

}  // namespace llmrun::cli
