// llmeval perplexity and llmeval kld over a text file.
#include <chrono>
#include <iostream>
#include <random>

#include "eval/cli/commands.h"
#include "eval/kl_compare.h"
#include "eval/perplexity.h"
#include "eval/report/reference_points.h"
#include "loaders/hf_config.h"
#include "loaders/tokenizer/tokenizer.h"
#include "runtime/cli/cli_common.h"
#include "runtime/error.h"

namespace llmrun::eval {
namespace {

// The text's ids as HF's perplexity guide makes them: tokenizer(text) with its
// special tokens (BOS), optionally cut to the first max_tokens.
std::vector<int32_t> text_ids(const std::string& model_dir, const TextOptions& o) {
  if (o.random_tokens > 0) {
    if (!o.file.empty()) throw cli::UsageError("give --file or --random-tokens, not both");
    const int64_t vocab = load_model_config(model_dir + "/config.json").vocab_size;
    std::mt19937_64 rng(o.seed);
    std::uniform_int_distribution<int32_t> id(0, int32_t(vocab - 1));
    std::vector<int32_t> ids(static_cast<size_t>(o.random_tokens));
    for (int32_t& t : ids) t = id(rng);
    std::cerr << "llmeval: " << ids.size() << " random token ids (seed " << o.seed << ")\n";
    return ids;
  }
  if (o.file.empty())
    throw cli::UsageError("--file is required (a UTF-8 text file, e.g. wikitext-2's wiki.test.raw), or --random-tokens N");
  const std::string text = cli::read_input_file(o.file, "--file");
  std::vector<int32_t> ids = load_tokenizer(model_dir)->encode(text, true);
  if (o.max_tokens > 0 && int64_t(ids.size()) > o.max_tokens) ids.resize(size_t(o.max_tokens));
  std::cerr << "llmeval: " << o.file << ": " << ids.size() << " tokens\n";
  return ids;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int run_perplexity(const CommonOptions& common, const TextOptions& o) {
  EvalContext ctx(common);
  const std::vector<std::string> precisions = precision_list(common.precisions, common.baseline);
  const std::vector<int32_t> ids = text_ids(ctx.model_dir(), o);
  EvalReport report = ctx.new_report("perplexity");
  report.info["data"] = o.random_tokens > 0 ? "random ids, seed " + std::to_string(o.seed) : o.file;
  report.info["settings"] = "ctx " + std::to_string(o.ctx) + ", stride " + std::to_string(o.stride) + ", " +
                            std::to_string(ids.size()) + " tokens";
  double base_ppl = 0;
  for (const std::string& p : precisions) {
    LoadedModel m = ctx.load(p);
    const int64_t window = std::min(o.ctx, m.config.max_position_embeddings);
    const auto t0 = std::chrono::steady_clock::now();
    const PerplexityResult r = perplexity(*m.model, ids, window, std::min(o.stride, window), progress_callback(p));
    PrecisionRow row;
    row.precision = p;
    fill_size(row, m.summary);
    row.perplexity = r.perplexity;
    if (p == precisions.front()) base_ppl = r.perplexity;
    else row.delta_perplexity = r.perplexity - base_ppl;
    row.wall_seconds = seconds_since(t0);
    int64_t fed = 0;
    for (const WindowLoss& w : r.windows) fed += w.end - w.begin;
    row.eval_tokens_per_second = double(fed) / row.wall_seconds;
    report.rows.push_back(row);
  }
  ctx.finish(report);
  return 0;
}

int run_kld(const CommonOptions& common, const TextOptions& o) {
  // Read first: a bad file is an error before any model is loaded.
  const std::vector<ReferencePoint> reference =
      o.reference_points.empty() ? std::vector<ReferencePoint>{} : read_reference_points(o.reference_points);
  EvalContext ctx(common);
  const std::vector<std::string> precisions = precision_list(common.precisions, common.baseline);
  const std::vector<int32_t> ids = text_ids(ctx.model_dir(), o);
  EvalReport report = ctx.new_report("kld");
  report.reference_points = reference;
  report.reference_label = o.reference_label;
  report.info["data"] = o.random_tokens > 0 ? "random ids, seed " + std::to_string(o.seed) : o.file;
  report.info["settings"] = "windows of " + std::to_string(o.ctx) + " tokens, " + std::to_string(ids.size()) + " tokens" +
                            (o.score_from > 0 ? ", scored from position " + std::to_string(o.score_from) : "");
  LoadedModel base = ctx.load(precisions.front());
  const int64_t window = std::min(o.ctx, base.config.max_position_embeddings);
  PrecisionRow base_row;
  base_row.precision = precisions.front();
  fill_size(base_row, base.summary);
  report.rows.push_back(base_row);
  for (size_t i = 1; i < precisions.size(); ++i) {
    LoadedModel test = ctx.load(precisions[i]);
    const auto t0 = std::chrono::steady_clock::now();
    const KlResult r =
        compare_models(*base.model, *test.model, ids, window, progress_callback(precisions[i]), o.score_from);
    PrecisionRow row;
    row.precision = precisions[i];
    fill_size(row, test.summary);
    row.mean_kl = r.mean_kl;
    row.p99_kl = r.p99_kl;
    row.top1_agreement = r.top1_agreement;
    row.perplexity = r.test_perplexity;
    row.delta_perplexity = r.test_perplexity - r.base_perplexity;
    row.wall_seconds = seconds_since(t0);
    report.rows.front().perplexity = r.base_perplexity;
    report.rows.push_back(row);
  }
  ctx.finish(report);
  return 0;
}

}  // namespace llmrun::eval
