// llmrun: generate with a checkpoint on the CPU (and later CUDA) backend.
#include <iostream>

#include "runtime/cli/cli_common.h"
#include "runtime/error.h"
#include "runtime/generate.h"
#include "runtime/model_loader.h"
#include "runtime/precision_policy.h"

namespace {

struct Options {
  std::string model;
  std::string precision = "auto";
  std::vector<std::string> tensor_precision;
  std::string device = "auto";
  int threads = 0;
  std::string prompt_ids;
  int64_t max_tokens = 128;
  int64_t ctx = 0;  // 0: the model's max_position_embeddings
  llmrun::SamplerOptions sampling;
  bool stats = false;
};

struct QuantizeOptions {
  std::string model, out, precision;
  std::vector<std::string> tensor_precision;
};

int run_quantize(const QuantizeOptions& o) {
  using namespace llmrun;
  cli::as_usage_error([&] { PrecisionPolicy::parse(o.precision, o.tensor_precision); });
  const auto t0 = std::chrono::steady_clock::now();
  LoadOptions load;
  load.precision = o.precision;
  load.tensor_precision = o.tensor_precision;
  const LoadSummary summary = quantize_checkpoint(cli::resolve_model_dir(o.model), o.out, load);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "llmrun: wrote " << o.out << " in " << s << " s; " << summary.describe() << "\n";
  return 0;
}

int run(const Options& o) {
  using namespace llmrun;
  if (o.model.empty()) throw cli::UsageError("--model is required");
  cli::as_usage_error([&] {
    validate(o.sampling);
    PrecisionPolicy::parse(o.precision, o.tensor_precision);
  });
  if (o.prompt_ids.empty()) throw cli::UsageError("--prompt-ids is required (text prompts arrive with the tokenizer)");
  const std::vector<int32_t> prompt = cli::parse_id_list(o.prompt_ids, "--prompt-ids");

  auto backend = make_backend({o.device, o.threads});
  const auto t0 = std::chrono::steady_clock::now();
  LoadOptions load;
  load.precision = o.precision;
  load.tensor_precision = o.tensor_precision;
  LoadedModel loaded = load_model(cli::resolve_model_dir(o.model), *backend, load);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "llmrun: " << loaded.config.architecture << " on " << backend->name() << ", "
            << loaded.summary.describe() << "\n";

  const int64_t ctx = o.ctx > 0 ? o.ctx : loaded.config.max_position_embeddings;
  if (int64_t(prompt.size()) >= ctx)
    fail("--prompt-ids: ", prompt.size(), " tokens do not fit a context of ", ctx, " (raise --ctx)");
  KvCache cache = loaded.model->new_cache(ctx);
  Sampler sampler(o.sampling);
  GenerationRequest request;
  request.prompt = prompt;
  request.max_new_tokens = o.max_tokens;
  request.stop_ids = loaded.generation.eos_token_ids.empty() ? loaded.config.eos_token_ids
                                                             : loaded.generation.eos_token_ids;
  GenerationStats stats;
  bool first = true;
  generate(*loaded.model, cache, sampler, request,
           [&](int32_t id) {
             std::cout << (first ? "" : " ") << id << std::flush;
             first = false;
             return true;
           },
           &stats);
  std::cout << "\n";
  if (o.stats)
    std::cerr << "load " << load_s << " s | prompt " << stats.prompt_tokens << " tok, "
              << stats.prefill_tokens_per_second() << " tok/s | generated " << stats.generated_tokens
              << " tok, " << stats.decode_tokens_per_second() << " tok/s | time to first token "
              << stats.prefill_seconds * 1000 << " ms | " << backend->name() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"llmrun: run LLMs with FP16 / INT8 / FP8 / FP6 weights"};
  app.set_version_flag("--version", "llmrun 0.1.0");
  Options o;
  app.add_option("--model,-m", o.model,
                 "Checkpoint folder, alias (qwen3-4b, llama-3.2-1b, ...) or HF repo id (Qwen/Qwen3-4B)");
  app.add_option("--precision", o.precision,
                 "Weight formats: auto (checkpoint dtype) | fp32|fp16|bf16|int8|fp8|fp6 (linear layers) | "
                 "mixed:attn=fp8,mlp=fp6,embed=fp16,lm_head=fp16 | @plan.json");
  app.add_option("--tensor-precision", o.tensor_precision,
                 "REGEX=FORMAT for tensors whose HF name matches (repeatable; the last match wins)");
  app.add_option("--device", o.device, "auto, cpu, cuda, cuda:N");
  app.add_option("--threads,-t", o.threads, "CPU threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  app.add_option("--prompt-ids", o.prompt_ids, "Prompt as token ids: 1,2,3");
  app.add_option("-n,--max-tokens", o.max_tokens, "Tokens to generate")->check(CLI::PositiveNumber);
  app.add_option("--ctx", o.ctx, "Context length (0 = the model's maximum)")->check(CLI::NonNegativeNumber);
  app.add_option("--temp", o.sampling.temperature, "Sampling temperature (0 = greedy)");
  app.add_option("--top-k", o.sampling.top_k, "Keep the k most likely tokens (0 = off)");
  app.add_option("--top-p", o.sampling.top_p, "Nucleus sampling mass (1 = off)");
  app.add_option("--min-p", o.sampling.min_p, "Drop tokens below min-p x the top probability (0 = off)");
  app.add_option("--repeat-penalty", o.sampling.repetition_penalty, "Repetition penalty (1 = off)");
  app.add_option("--seed", o.sampling.seed, "Random seed for sampling");
  app.add_flag("--stats", o.stats, "Print load time and speeds on stderr");

  QuantizeOptions q;
  CLI::App* quantize = app.add_subcommand("quantize", "Write a pre-quantized checkpoint that loads without re-quantizing");
  quantize->add_option("--model,-m", q.model, "Source checkpoint (folder, alias or repo id)")->required();
  quantize->add_option("--precision", q.precision, "Weight formats, as for generation")->required();
  quantize->add_option("--tensor-precision", q.tensor_precision, "REGEX=FORMAT overrides (repeatable)");
  quantize->add_option("--out,-o", q.out, "Output folder")->required();

  return llmrun::cli::run_cli("llmrun", app, argc, argv, [&] {
    if (quantize->parsed()) return run_quantize(q);
    return run(o);
  });
}
