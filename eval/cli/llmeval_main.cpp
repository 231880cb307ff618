// llmeval: how much accuracy and speed each weight precision costs or buys against the
// FP16 baseline.
#include <iostream>
#include <optional>

#include "eval/auto_precision.h"
#include "eval/cli/commands.h"
#include "eval/importance.h"
#include "eval/logits_dump.h"
#include "eval/random_checkpoint.h"
#include "runtime/cli/cli_common.h"
#include "runtime/error.h"
#include "runtime/model_loader.h"

namespace {

struct LogitsOptions {
  std::string model, out, precision = "auto", imatrix = "auto", device = "auto", activations = "auto", cpu_isa = "auto";
  std::vector<std::string> ids;  // one prompt per --ids
  int threads = 0;
};

// Several prompts in one call load (and quantize) the model once: a comparison over 16
// windows of a 0.6B model spent most of its time loading it once per window.
int run_logits(const LogitsOptions& o) {
  using namespace llmrun;
  std::vector<std::vector<int32_t>> prompts;
  for (const std::string& list : o.ids) prompts.push_back(cli::parse_id_list(list, "--ids"));
  auto backend = make_backend({o.device, llmrun::cli::capped_threads(o.threads, "llmeval"), o.activations, o.cpu_isa});
  const std::string dir = cli::resolve_model_dir(o.model);
  // Loaded as llmrun loads it: the same default importance matrix, auto: plans resolved.
  const std::optional<ImportanceMatrix> importance =
      eval::importance_for(eval::resolve_imatrix(o.imatrix, dir, {o.precision}), dir, *backend);
  LoadOptions load;
  load.importance = importance ? &*importance : nullptr;
  load.precision = eval::resolve_precision(o.precision, dir, *backend, load.importance);
  LoadedModel loaded = load_model(dir, *backend, load);
  int64_t rows = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (int64_t(prompts[i].size()) > loaded.config.max_position_embeddings)
      fail("--ids (prompt ", i + 1, "): ", prompts[i].size(), " tokens exceed max_position_embeddings ",
           loaded.config.max_position_embeddings);
    rows += int64_t(prompts[i].size());
  }
  F32FileWriter file(o.out);
  for (const std::vector<int32_t>& ids : prompts) file.append(prompt_logits(*loaded.model, ids));
  file.close();
  std::cerr << "wrote " << rows << " x " << loaded.config.vocab_size << " float32 logits of " << prompts.size()
            << (prompts.size() == 1 ? " prompt" : " prompts") << " to " << o.out << "\n";
  return 0;
}

void add_common(CLI::App* cmd, llmrun::eval::CommonOptions& c, bool precisions) {
  cmd->add_option("--model,-m", c.model, "Checkpoint folder, alias or HF repo id")->required();
  if (precisions) {
    cmd->add_option("--precisions", c.precisions,
                    "Comma-separated precisions (fp16,int8,fp8,fp6,bf16,fp32,mixed:...,@plan.json); default fp16,int8,fp8,fp6");
    cmd->add_option("--baseline", c.baseline, "The reference precision, always computed first (default fp16)");
    cmd->add_option("--imatrix", c.imatrix,
                    "Importance matrix weighting the scale search: auto (default: `probe` where a precision uses such a format), "
                    "none, `probe` (one pass over random token ids), `self` (sampled by the model itself) -- both measured once "
                    "per checkpoint, then cached -- or a file from llmeval imatrix; it weighs the scale "
                    "search of the group-scaled formats (int8, fp8, fp6, *-g32, *-g64) in every precision but the baseline");
  }
  cmd->add_option("--device", c.device, "auto (a CUDA GPU when present, else cpu), cpu, cuda, cuda:N, or cuda-host (the CUDA backend run on the CPU: a slow test device)");
  cmd->add_option("--activations", c.activations, "Activation dtype between ops: auto (the checkpoint's: f32, bf16 or f16), f32, bf16, f16 (CUDA only)");
  cmd->add_option("--threads,-t", c.threads, "CPU threads (0 = all cores)")->check(llmrun::cli::at_least(0));
  cmd->add_option("--cpu-isa", c.cpu_isa, llmrun::cli::kCpuIsaHelp);
  cmd->add_option("--out,-o", c.out, "Also write results.json, results.csv and SVG charts to this folder");
}

// The text a perplexity or KL run reads.
void add_text(CLI::App* cmd, llmrun::eval::TextOptions& t) {
  cmd->add_option("--file,-f", t.file, "UTF-8 text file");
  cmd->add_option("--random-tokens", t.random_tokens, "Instead of --file: N random token ids (models without a tokenizer)")
      ->check(llmrun::cli::at_least(0));
  cmd->add_option("--seed", t.seed, "Seed for --random-tokens");
  cmd->add_option("--max-tokens", t.max_tokens, "Only the first N tokens (0 = all)")->check(llmrun::cli::at_least(0));
  cmd->add_option("--ctx", t.ctx, "Window length (capped at the model's context)")->check(llmrun::cli::at_least(1));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace llmrun::eval;
  CLI::App app{"llmeval: measure accuracy and speed of llmrun precisions against the FP16 baseline.\n"
               "  llmeval lambada --model qwen3-4b --precisions fp16,int8,fp8,fp6 --out results/"};
  app.set_version_flag("--version", "llmeval 0.1.0");
  app.require_subcommand(1);

  CommonOptions lc;
  LambadaOptions lo;
  CLI::App* lambada = app.add_subcommand("lambada", "LAMBADA accuracy, perplexity and speed per precision (lm-eval's lambada_openai)");
  add_common(lambada, lc, true);
  lambada->add_option("--data", lo.data, "lambada_test.jsonl (default: $LLMRUN_DATA/lambada_test.jsonl)");
  lambada->add_option("--limit", lo.limit, "Only the first N passages")->check(llmrun::cli::at_least(0));
  lambada->add_option("--batch", lo.batch, "Passages per forward pass (default 8)")->check(llmrun::cli::at_least(1));
  lambada->add_option("--bos", lo.bos,
                      "auto (the tokenizer's default, as lm-eval's HF backend) | yes | no: BOS before each passage");

  CommonOptions pc;
  TextOptions po;
  CLI::App* ppl = app.add_subcommand("perplexity", "Perplexity of a text file with a sliding window (HF's method)");
  add_common(ppl, pc, true);
  add_text(ppl, po);
  ppl->add_option("--stride", po.stride, "Step between windows")->check(llmrun::cli::at_least(1));

  CommonOptions kc;
  TextOptions ko;
  CLI::App* kld = app.add_subcommand("kld", "KL divergence and top-1 agreement of each precision vs the baseline");
  add_common(kld, kc, true);
  add_text(kld, ko);
  kld->add_option("--score-from", ko.score_from,
                  "Score positions N.. of each window only (llama-perplexity --kl-divergence: ctx/2)")
      ->check(llmrun::cli::at_least(0));
  kld->add_option("--reference-points", ko.reference_points,
                  "CSV label,bits_per_weight,mean_kl of another runtime (e.g. llama.cpp's quants on the same text) "
                  "drawn beside ours in pareto.svg");
  kld->add_option("--reference-label", ko.reference_label, "Legend name of --reference-points (default reference)");

  CommonOptions bc;
  BenchOptions bo;
  CLI::App* bench = app.add_subcommand("bench", "Prefill/decode tokens per second, time to first token, peak memory");
  add_common(bench, bc, true);
  bench->add_option("--prompt-len", bo.prompt_len, "Prompt tokens")->check(llmrun::cli::at_least(1));
  bench->add_option("--gen-len", bo.gen_len, "Generated tokens")->check(llmrun::cli::at_least(1));
  bench->add_option("--reps", bo.reps, "Repetitions (median reported; one warm-up run first)")->check(llmrun::cli::at_least(1));

  CommonOptions sc;
  SensitivityOptions so;
  CLI::App* sens = app.add_subcommand("sensitivity", "Per-layer, per-projection KL increase -> a mixed-precision plan");
  add_common(sens, sc, false);
  sens->add_option("--baseline", sc.baseline, "The reference precision (default fp16)");
  sens->add_option("--imatrix", sc.imatrix,
                   "auto (default), none, probe, self or an importance matrix file: candidates and checks encoded as --imatrix loads them");
  sens->add_option("--calib", so.calib, "Calibration text (default: $LLMRUN_DATA/wiki.test.raw)");
  sens->add_option("--calib-tokens", so.calib_tokens, "Tokens of calibration text measured")->check(llmrun::cli::at_least(1));
  sens->add_option("--holdout-tokens", so.holdout_tokens, "Following tokens the plan is checked on (0 = skip)")
      ->check(llmrun::cli::at_least(0));
  sens->add_option("--ctx", so.ctx, "Window length")->check(llmrun::cli::at_least(1));
  sens->add_option("--candidates", so.candidates, std::string("Formats to try per tensor (default ") + llmrun::eval::kDefaultPlanCandidates + ")");
  sens->add_option("--max-kl", so.max_kl, "Budget: smallest plan whose predicted mean KL is at most this");
  sens->add_option("--max-bytes", so.max_bytes,
                   "Budget: lowest-KL plan whose planned weights (linear, embedding, untied LM head) fit in this many bytes");
  sens->add_option("--bits", so.bits,
                   "Budget: lowest-KL plan at this many bits per planned weight (linear, embedding, untied LM head)");
  sens->add_option("--measured", so.measured,
                   "Re-plan from the measurements in an earlier run's results.json (-o DIR) instead of measuring; "
                   "same model, baseline, --calib-tokens and --ctx")
      ->excludes(sens->get_option("--candidates"));
  sens->add_option("--plan", so.plan, "Where to write the plan (default plan.json); use it with --precision @FILE");

  CommonOptions ic;
  ImatrixOptions io;
  CLI::App* imatrix = app.add_subcommand(
      "imatrix", "Importance matrix: mean square of every linear layer's inputs over calibration text, for --imatrix");
  imatrix->add_option("--model,-m", ic.model, "Checkpoint folder, alias or HF repo id")->required();
  CLI::Option* calib = imatrix->add_option("--calib", io.calib, "Calibration text (default: $LLMRUN_DATA/wiki.test.raw)");
  CLI::Option* skip = imatrix->add_option("--skip-tokens", io.skip_tokens,
                      "Start after this many tokens of the text (keeps calibration apart from evaluation text)")
      ->check(llmrun::cli::at_least(0));
  CLI::Option* self_sampled = imatrix->add_flag("--self-sampled", io.self_sampled,
                    "No text: the model samples its own from its BOS token (temperature 0.8, samples of up to --ctx "
                    "tokens, --calib-tokens in all)")
      ->excludes(calib)
      ->excludes(skip);
  imatrix->add_option("--seed", io.seed, "Sampling seed for --self-sampled (default 0)")->needs(self_sampled);
  imatrix->add_option("--calib-tokens", io.calib_tokens, "Calibration tokens (default 4096)")->check(llmrun::cli::at_least(1));
  imatrix->add_option("--ctx", io.ctx, "Window length (default 512)")->check(llmrun::cli::at_least(1));
  imatrix->add_option("--out,-o", io.out, "The importance matrix file to write (.safetensors)")->required();
  imatrix->add_option("--device", ic.device, "auto (a CUDA GPU when present, else cpu), cpu, cuda, cuda:N, or cuda-host (the CUDA backend run on the CPU: a slow test device)");
  imatrix->add_option("--activations", ic.activations, "Activation dtype between ops: auto (the checkpoint's: f32, bf16 or f16), f32, bf16, f16 (CUDA only)");
  imatrix->add_option("--threads,-t", ic.threads, "CPU threads (0 = all cores)")->check(llmrun::cli::at_least(0));
  imatrix->add_option("--cpu-isa", ic.cpu_isa, llmrun::cli::kCpuIsaHelp);

  std::string shape = "qwen3-0.6b", random_out;
  uint64_t random_seed = 1;
  CLI::App* random = app.add_subcommand("random-model", "Write a random-weight bf16 checkpoint with a real model's shapes (for benchmarks)");
  random->add_option("--shape", shape, "qwen3-0.6b (default), qwen3-1.7b, qwen3-4b, llama-3.2-1b");
  random->add_option("--out,-o", random_out, "Output folder")->required();
  random->add_option("--seed", random_seed, "Random seed");

  CLI::App* hw = app.add_subcommand("hw", "CPU features, CUDA devices and which precisions run natively where");

  LogitsOptions lg;
  CLI::App* logits = app.add_subcommand("logits", "Write raw float32 logits [n_tokens, vocab] (little-endian) of a prompt");
  logits->add_option("--model,-m", lg.model, "Checkpoint folder")->required();
  logits->add_option("--ids", lg.ids,
                     "Prompt token ids: 1,2,3; repeat for more prompts (each on a fresh cache, their logits one "
                     "after another in the file, the model loaded once)")
      ->required();
  logits->add_option("--out,-o", lg.out, "Output file")->required();
  logits->add_option("--precision", lg.precision, "Weight formats, as llmrun --precision (auto = checkpoint dtype)");
  logits->add_option("--imatrix", lg.imatrix, llmrun::cli::kImatrixHelp);
  logits->add_option("--device", lg.device, "auto (a CUDA GPU when present, else cpu), cpu, cuda, cuda:N, or cuda-host (the CUDA backend run on the CPU: a slow test device)");
  logits->add_option("--activations", lg.activations, "Activation dtype between ops: auto (the checkpoint's: f32, bf16 or f16), f32, bf16, f16 (CUDA only)");
  logits->add_option("--threads,-t", lg.threads, "CPU threads (0 = all cores)")->check(llmrun::cli::at_least(0));
  logits->add_option("--cpu-isa", lg.cpu_isa, llmrun::cli::kCpuIsaHelp);

  return llmrun::cli::run_cli("llmeval", app, argc, argv, [&]() -> int {
    if (lambada->parsed()) return run_lambada(lc, lo);
    if (ppl->parsed()) return run_perplexity(pc, po);
    if (kld->parsed()) return run_kld(kc, ko);
    if (bench->parsed()) return run_bench(bc, bo);
    if (sens->parsed()) return run_sensitivity(sc, so);
    if (imatrix->parsed()) return run_imatrix(ic, io);
    if (hw->parsed()) return run_hw();
    if (random->parsed()) {
      llmrun::ModelConfig config;
      llmrun::cli::as_usage_error([&] { config = random_model_shape(shape); });
      write_random_checkpoint(config, random_out, random_seed);
      std::cerr << "llmeval: wrote a random " << shape << " checkpoint to " << random_out << "\n";
      return 0;
    }
    if (logits->parsed()) return run_logits(lg);
    return 2;
  });
}
