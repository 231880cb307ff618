// llmeval: measuring tools (logits dumps now; LAMBADA, perplexity, KL, bench later).
#include <iostream>

#include "eval/logits_dump.h"
#include "runtime/cli/cli_common.h"
#include "runtime/error.h"
#include "runtime/model_loader.h"

namespace {

struct LogitsOptions {
  std::string model, ids, out, precision = "auto", device = "auto";
  int threads = 0;
};

int run_logits(const LogitsOptions& o) {
  using namespace llmrun;
  const std::vector<int32_t> ids = cli::parse_id_list(o.ids, "--ids");
  auto backend = make_backend({o.device, o.threads});
  LoadOptions load;
  load.precision = o.precision;
  LoadedModel loaded = load_model(cli::resolve_model_dir(o.model), *backend, load);
  if (int64_t(ids.size()) > loaded.config.max_position_embeddings)
    fail("--ids: ", ids.size(), " tokens exceed max_position_embeddings ", loaded.config.max_position_embeddings);
  const std::vector<float> logits = prompt_logits(*loaded.model, ids);
  write_f32_file(o.out, logits);
  std::cerr << "wrote " << ids.size() << " x " << loaded.config.vocab_size << " float32 logits to " << o.out << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"llmeval: measure accuracy and speed of llmrun precisions"};
  app.set_version_flag("--version", "llmeval 0.1.0");
  app.require_subcommand(1);
  LogitsOptions lo;
  CLI::App* logits = app.add_subcommand("logits", "Write raw float32 logits [n_tokens, vocab] (little-endian) of a prompt");
  logits->add_option("--model,-m", lo.model, "Checkpoint folder")->required();
  logits->add_option("--ids", lo.ids, "Prompt token ids: 1,2,3")->required();
  logits->add_option("--out,-o", lo.out, "Output file")->required();
  logits->add_option("--precision", lo.precision, "Weight formats, as llmrun --precision (auto = checkpoint dtype)");
  logits->add_option("--device", lo.device, "auto, cpu, cuda, cuda:N");
  logits->add_option("--threads,-t", lo.threads, "CPU threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  return llmrun::cli::run_cli("llmeval", app, argc, argv, [&]() -> int {
    if (logits->parsed()) return run_logits(lo);
    return 2;
  });
}
