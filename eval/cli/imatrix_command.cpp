// llmeval imatrix: the importance matrix of a model over calibration text, for --imatrix.
#include <chrono>
#include <iostream>
#include <map>

#include "eval/cli/commands.h"
#include "eval/data_path.h"
#include "eval/importance.h"
#include "eval/progress.h"
#include "loaders/tokenizer/tokenizer.h"
#include "runtime/cli/cli_common.h"
#include "runtime/error.h"

namespace llmrun::eval {

int run_imatrix(const CommonOptions& common, const ImatrixOptions& o) {
  if (o.out.empty()) throw cli::UsageError("--out is required");
  EvalContext ctx(common);
  const auto t0 = std::chrono::steady_clock::now();
  ImportanceMatrix m;
  std::map<std::string, std::string> info{{"llmrun.model", ctx.model_dir()}, {"llmrun.window", std::to_string(o.ctx)}};
  if (o.self_sampled) {
    SelfCalibration self;
    self.tokens = o.calib_tokens;
    self.context = o.ctx;
    self.seed = o.seed;
    m = measure_importance_self(ctx.model_dir(), ctx.backend(), self, progress_callback("self-sampled tokens"));
    info["llmrun.calibration"] = self_description(self);
  } else {
    const std::string path = calibration_text_path(o.calib);
    const std::vector<int32_t> ids = load_tokenizer(ctx.model_dir())->encode(cli::read_input_file(path, "--calib"), true);
    if (int64_t(ids.size()) < o.skip_tokens + o.calib_tokens)
      fail("--calib ", path, ": ", ids.size(), " tokens, fewer than --skip-tokens ", o.skip_tokens, " + --calib-tokens ",
           o.calib_tokens);
    const std::vector<int32_t> calib(ids.begin() + long(o.skip_tokens), ids.begin() + long(o.skip_tokens + o.calib_tokens));
    m = measure_importance(ctx.model_dir(), ctx.backend(), calib, o.ctx, progress_callback("calibration windows"));
    info["llmrun.calibration"] =
        path + " (tokens " + std::to_string(o.skip_tokens) + ".." + std::to_string(o.skip_tokens + o.calib_tokens) + ")";
  }
  write_importance_matrix(o.out, m, info);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "llmeval: wrote " << o.out << ": " << m.by_weight.size() << " weights, " << m.tokens
            << " calibration tokens, " << s << " s\n";
  return 0;
}

}  // namespace llmrun::eval
