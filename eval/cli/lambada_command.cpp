// llmeval lambada: accuracy and speed per precision on LAMBADA (lm-eval's lambada_openai).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "eval/cli/commands.h"
#include "eval/data_path.h"
#include "eval/lambada.h"
#include "eval/report/format.h"
#include "loaders/sha256.h"
#include "loaders/tokenizer/tokenizer.h"
#include "runtime/cli/cli_common.h"
#include "runtime/error.h"

namespace llmrun::eval {
namespace {

std::string lambada_path(const LambadaOptions& o) {
  if (!o.data.empty()) return o.data;
  if (auto found = data_file("lambada_test.jsonl")) return *found;
  fail("no LAMBADA data at ", data_file_location("lambada_test.jsonl"),
         ": pass --data FILE or set LLMRUN_DATA to a folder holding lambada_test.jsonl "
         "(lm-eval's lambada_openai test split, 5,153 lines, sha256 ",
         kLambadaSha256, ")");
}

}  // namespace

int run_lambada(const CommonOptions& common, const LambadaOptions& o) {
  EvalContext ctx(common);
  const std::vector<std::string> precisions = precision_list(common.precisions, common.baseline);
  const std::string path = lambada_path(o);
  const std::string hash = sha256_file(path);
  if (hash != kLambadaSha256)
    std::cerr << "llmeval: warning: " << path << " has sha256 " << hash << ", not lm-eval's lambada_openai file ("
              << kLambadaSha256 << "); results are not comparable\n";
  const std::vector<LambadaPassage> passages = load_lambada(path, o.limit);
  const auto tokenizer = load_tokenizer(ctx.model_dir());
  if (o.bos != "auto" && o.bos != "yes" && o.bos != "no")
    throw cli::UsageError("--bos must be auto, yes or no, got '" + o.bos + "'");
  // The tokenizer's default special tokens are what lm-eval's HF backend adds; whether
  // that includes BOS shows in the encoding of an empty string.
  const bool tokenizer_bos = !tokenizer->encode("", true).empty();
  const bool bos = o.bos == "auto" ? tokenizer_bos : o.bos == "yes";
  std::vector<EncodedPassage> encoded;
  for (const LambadaPassage& p : passages) encoded.push_back(encode_passage(*tokenizer, p, bos));
  std::cerr << "llmeval: " << path << ": " << passages.size() << " passages, " << (bos ? "with" : "without")
            << " BOS (" << (o.bos == "auto" ? "the tokenizer's default, as lm-eval's HF backend" : "--bos " + o.bos)
            << ")\n";

  EvalReport report = ctx.new_report("lambada");
  report.info["data"] = path + " (sha256 " + hash.substr(0, 12) + "..., " + std::to_string(passages.size()) + " passages)";
  report.info["bos"] = bos ? "yes" : "no";
  std::optional<LambadaResult> baseline;  // precisions[0] is the baseline
  for (const std::string& p : precisions) {
    LoadedModel m = ctx.load(p);
    const auto t0 = std::chrono::steady_clock::now();
    const LambadaResult r = score_lambada(*m.model, encoded, o.batch, progress_callback(p));
    PrecisionRow row;
    row.precision = p;
    fill_size(row, m.summary);
    row.accuracy = r.accuracy;
    row.accuracy_stderr = r.accuracy_stderr;
    row.perplexity = r.perplexity;
    row.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    row.eval_tokens_per_second = double(r.tokens) / row.wall_seconds;
    std::string paired;
    if (baseline) {
      const PairedAccuracy d = compare_passages(*baseline, r);
      row.delta_accuracy_stderr = d.delta_stderr;
      row.passages_gained = d.gained;
      row.passages_lost = d.lost;
      paired = ", " + format_signed(100 * d.delta, 2) + " pt +- " + format_fixed(100 * d.delta_stderr, 2) +
               " vs " + precisions[0] + " (paired; " + std::to_string(d.gained) + " passages gained, " +
               std::to_string(d.lost) + " lost)";
    } else {
      baseline = r;
    }
    report.rows.push_back(row);
    // Each precision's result as soon as it is known: a long run cut short keeps what it finished.
    std::cerr << "llmeval: lambada " << p << ": accuracy " << 100.0 * r.accuracy << " % +- "
              << 100.0 * r.accuracy_stderr << " of " << encoded.size() << " passages" << paired << ", perplexity " << r.perplexity
              << ", " << *row.eval_tokens_per_second << " tok/s (" << row.wall_seconds << " s)\n";
  }
  ctx.finish(report);
  return 0;
}

}  // namespace llmrun::eval
