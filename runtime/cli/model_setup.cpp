#include "runtime/cli/model_setup.h"

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>

#include "eval/auto_precision.h"
#include "eval/importance.h"
#include "loaders/gguf.h"
#include "eval/progress.h"
#include "runtime/chat/detect_chat_format.h"
#include "runtime/cli/cli_common.h"
#include "runtime/error.h"
#include "runtime/hardware.h"

namespace llmrun::cli {

namespace {

// generation_config.json supplies sampling defaults (as transformers' generate() uses
// them) unless a flag was given; do_sample=false there means greedy.
SamplerOptions sampling_with_defaults(const RunOptions& o, const GenerationDefaults& g) {
  SamplerOptions s = o.sampling;
  const bool sample = g.do_sample.value_or(g.temperature.has_value());
  if (!o.temp_set) s.temperature = sample ? g.temperature.value_or(1.0) : 0.0;
  if (!o.top_k_set && g.top_k) s.top_k = *g.top_k;
  if (!o.top_p_set && g.top_p) s.top_p = *g.top_p;
  if (!o.min_p_set && g.min_p) s.min_p = *g.min_p;
  if (!o.repeat_set && g.repetition_penalty) s.repetition_penalty = *g.repetition_penalty;
  return s;
}

}  // namespace

LoadedRun load_run(const RunOptions& o, bool need_tokenizer) {
  as_usage_error([&] {
    validate(o.sampling);
    eval::check_precision_spec(o.precision, o.tensor_precision);
    if (!o.chat_format.empty()) chat::parse_chat_format(o.chat_format);
    if (o.think != "show" && o.think != "hide" && o.think != "off")
      fail("--think must be show, hide or off, got '", o.think, "'");
    if (o.ctx <= 0) fail("--ctx must be positive, got ", o.ctx);
  });
  if (o.model.empty()) throw UsageError("--model is required");
  LoadedRun run;
  run.model_dir = resolve_model_dir(o.model);
  const auto t0 = std::chrono::steady_clock::now();
  run.backend = make_backend({o.device, capped_threads(o.threads, "llmrun"), o.activations, o.cpu_isa});
  LoadOptions load;
  const std::optional<ImportanceMatrix> importance = eval::importance_for(
      eval::resolve_imatrix(o.imatrix, run.model_dir, {o.precision}, o.tensor_precision), run.model_dir, *run.backend);
  load.importance = importance ? &*importance : nullptr;
  load.precision = eval::resolve_precision(o.precision, run.model_dir, *run.backend, load.importance);
  load.tensor_precision = o.tensor_precision;
  // The bar counts MiB of checkpoint converted.
  load.progress = [bar = eval::progress_callback("loading MiB")](int64_t done, int64_t total) {
    bar(done >> 20, total >> 20);
  };
  run.model = load_model(run.model_dir, *run.backend, load);
  if (need_tokenizer) {
    run.tokenizer = load_tokenizer(run.model_dir);
    if (int64_t(run.tokenizer->vocab_size()) > run.model.config.vocab_size)
      fail(run.model_dir, ": tokenizer has ", run.tokenizer->vocab_size(), " tokens but the model only ",
           run.model.config.vocab_size);
    const std::string tok_config = run.model_dir + "/tokenizer_config.json";
    if (!o.chat_format.empty()) {
      run.chat_format = chat::parse_chat_format(o.chat_format);
    } else if (is_gguf_file(run.model_dir)) {
      // tokenizer.chat_template through the same detection as tokenizer_config.json's.
      const auto file = GgufFile::open(run.model_dir);
      if (file->find("tokenizer.chat_template")) {
        const chat::ChatFormatDetection d = chat::detect_chat_format(file->get_string("tokenizer.chat_template"));
        run.chat_format = d.format;
        if (!d.note.empty()) std::cerr << "llmrun: note: " << d.note << "\n";
      }
    } else if (std::filesystem::exists(tok_config)) {
      const chat::ChatFormatDetection d = chat::detect_chat_format_from_tokenizer_config(tok_config);
      run.chat_format = d.format;
      if (!d.note.empty()) std::cerr << "llmrun: note: " << d.note << "\n";
    }
  }
  run.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.sampling = sampling_with_defaults(o, run.model.generation);
  run.context = std::min<int64_t>(o.ctx, run.model.config.max_position_embeddings);
  if (run.model.config.sliding_window && run.context > *run.model.config.sliding_window) {
    run.context = *run.model.config.sliding_window;
    std::cerr << "llmrun: note: context capped at the model's sliding window of " << run.context
              << " tokens (sliding-window attention beyond it is not implemented)\n";
  }

  run.stop_ids = run.model.generation.eos_token_ids.empty() ? run.model.config.eos_token_ids
                                                            : run.model.generation.eos_token_ids;
  if (run.tokenizer) {
    for (int32_t id : run.tokenizer->eos_ids()) run.stop_ids.push_back(id);
    for (const std::string& s : chat::stop_strings(run.chat_format))
      if (auto id = run.tokenizer->piece_to_id(s)) run.stop_ids.push_back(*id);
  }
  std::sort(run.stop_ids.begin(), run.stop_ids.end());
  run.stop_ids.erase(std::unique(run.stop_ids.begin(), run.stop_ids.end()), run.stop_ids.end());

  std::cerr << "llmrun: " << run.model.config.architecture << " from " << run.model_dir << " on "
            << run.backend->name() << " in " << run.load_seconds << " s; " << run.model.summary.describe() << "\n";
  if (o.verbose) {
    const ModelConfig& c = run.model.config;
    std::fprintf(stderr,
                 "llmrun: hardware: %s\n"
                 "llmrun: model: %lld layers, hidden %lld, heads %lld/%lld (head_dim %lld), ffn %lld, vocab %lld, "
                 "context %lld of %lld; precision %s\n"
                 "llmrun: sampling: temp %.3g, top-k %lld, top-p %.3g, min-p %.3g, repeat-penalty %.3g, seed %llu; "
                 "chat format %s; %zu stop ids\n",
                 hardware_line(detect_hardware()).c_str(), static_cast<long long>(c.num_layers),
                 static_cast<long long>(c.hidden_size), static_cast<long long>(c.num_heads),
                 static_cast<long long>(c.num_kv_heads), static_cast<long long>(c.head_dim),
                 static_cast<long long>(c.intermediate_size), static_cast<long long>(c.vocab_size),
                 static_cast<long long>(run.context), static_cast<long long>(c.max_position_embeddings),
                 o.precision.c_str(), run.sampling.temperature, static_cast<long long>(run.sampling.top_k),
                 run.sampling.top_p, run.sampling.min_p, run.sampling.repetition_penalty,
                 static_cast<unsigned long long>(run.sampling.seed), chat::chat_format_name(run.chat_format).c_str(),
                 run.stop_ids.size());
  }
  return run;
}

}  // namespace llmrun::cli
