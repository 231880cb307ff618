// One-shot generation: ids in/out (--prompt-ids) or text (-p / -f), streamed.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "runtime/chat/conversation.h"
#include "runtime/cli/cli_common.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/model_setup.h"
#include "runtime/cli/think_filter.h"
#include "runtime/error.h"
#include "runtime/session.h"

namespace llmrun::cli {

namespace {

void print_stats(const LoadedRun& run, const GenerationStats& s, const char* reason) {
  std::fprintf(stderr,
               "llmrun: load %.2f s | prompt %lld tok at %.1f tok/s | generated %lld tok at %.1f tok/s "
               "(forward alone %.1f tok/s) | time to first token %.1f ms | stopped: %s\n",
               run.load_seconds, static_cast<long long>(s.prompt_tokens), s.prefill_tokens_per_second(),
               static_cast<long long>(s.generated_tokens), s.decode_tokens_per_second(),
               s.decode_forward_tokens_per_second(), s.prefill_seconds * 1e3, reason);
}

int run_ids(const RunOptions& o) {
  const std::vector<int32_t> prompt = parse_id_list(o.prompt_ids, "--prompt-ids");
  LoadedRun run = load_run(o, /*need_tokenizer=*/false);
  if (int64_t(prompt.size()) >= run.context)
    fail("--prompt-ids: ", prompt.size(), " tokens do not fit a context of ", run.context, " (raise --ctx)");
  KvCache cache = run.model.model->new_cache(run.context);
  Sampler sampler(run.sampling);
  GenerationRequest request;
  request.prompt = prompt;
  request.max_new_tokens = o.max_tokens >= 0 ? o.max_tokens : run.context - int64_t(prompt.size());
  request.stop_ids = run.stop_ids;
  GenerationStats stats;
  bool first = true;
  generate(*run.model.model, cache, sampler, request, [&](int32_t id) {
    std::cout << (first ? "" : " ") << id << std::flush;
    first = false;
    return true;
  }, &stats);
  std::cout << "\n";
  if (o.stats) print_stats(run, stats, "-");
  return 0;
}

}  // namespace

int run_complete(const RunOptions& o) {
  if (!o.prompt_ids.empty()) return run_ids(o);
  const std::string text = !o.prompt_file.empty() ? read_input_file(o.prompt_file, "-f") : o.prompt;
  LoadedRun run = load_run(o, /*need_tokenizer=*/true);
  const bool chat_mode = !o.no_chat && run.chat_format.id != chat::ChatFormatId::none;
  std::vector<int32_t> ids;
  if (chat_mode) {
    chat::Conversation conversation;
    conversation.set_system(o.system);
    conversation.add_user(text);
    // Templates write BOS themselves, so special tokens are not added again (as
    // transformers' apply_chat_template(tokenize=True) does).
    ids = run.tokenizer->encode(conversation.render(run.chat_format, true, o.think != "off"), false);
  } else {
    ids = run.tokenizer->encode(text, true);
  }
  if (ids.empty()) throw UsageError("-p: the prompt is empty (and the tokenizer adds no BOS)");
  if (o.show_prompt_ids) print_prompt_ids(ids);
  if (o.verbose)
    std::cerr << "llmrun: prompt: " << ids.size() << " tokens" << (chat_mode ? " (chat template applied)" : "") << "\n";
  if (int64_t(ids.size()) >= run.context)
    fail("prompt has ", ids.size(), " tokens; the context is ", run.context, " (raise --ctx, at most ",
         run.model.config.max_position_embeddings, ")");

  Session session(*run.model.model, *run.tokenizer, run.context, run.sampling);
  TurnRequest request;
  request.input = ids;
  request.max_new_tokens = o.max_tokens >= 0 ? o.max_tokens : run.context;
  request.stop_ids = run.stop_ids;
  request.continues_text = !chat_mode && !text.empty();
  ThinkFilter filter(o.think == "hide");
  const TurnResult result = session.generate(request, [&](const std::string& chunk) {
    std::cout << filter.push(chunk) << std::flush;
  });
  std::cout << filter.flush();
  if (::isatty(STDOUT_FILENO)) std::cout << "\n";
  std::cout.flush();
  if (o.stats) print_stats(run, result.stats, stop_reason_name(result.reason));
  if (result.reason == StopReason::context_full)
    std::cerr << "llmrun: stopped: the context of " << run.context << " tokens is full (raise --ctx)\n";
  return 0;
}

}  // namespace llmrun::cli
