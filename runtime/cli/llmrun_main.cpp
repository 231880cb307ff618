// llmrun: generate text or chat with a checkpoint; quantize it; tokenize with it.
#include <unistd.h>

#include "kernels/quant/weight_format.h"
#include "runtime/cli/cli_common.h"
#include "runtime/cli/commands.h"

int main(int argc, char** argv) {
  using namespace llmrun::cli;
  CLI::App app{"llmrun: run LLMs with FP16 / INT8 / FP8 / FP6 weights.\n"
               "  llmrun --model qwen3-4b --precision fp8 -p \"Why is the sky blue?\"\n"
               "  llmrun --model qwen3-4b            (interactive chat)"};
  app.set_version_flag("--version", "llmrun 0.1.0");
  RunOptions o;
  app.add_option("--model,-m", o.model,
                 "Checkpoint folder, alias (qwen3-4b, llama-3.2-1b, ...) or HF repo id (Qwen/Qwen3-4B)");
  app.add_option("--precision", o.precision,
                 "Weight formats: auto (checkpoint dtype) | " + llmrun::weight_format_names("|") +
                     " (linear layers; -gN: an fp16 scale per N weights, -row: one per row) | mixed:attn=fp8,mlp=fp6,embed=fp16,lm_head=fp16 | @plan.json | "
                     "auto:max-kl=0.02 (measured plan)");
  app.add_option("--tensor-precision", o.tensor_precision,
                 "REGEX=FORMAT for tensors whose HF name matches (repeatable; the last match wins)");
  app.add_option("--imatrix", o.imatrix, llmrun::cli::kImatrixHelp);
  app.add_option("--device", o.device, "auto (a CUDA GPU when present, else cpu), cpu, cuda, cuda:N, or cuda-host (the CUDA backend run on the CPU: a slow test device)");
  app.add_option("--activations", o.activations, "Activation dtype between ops: auto (the checkpoint's: f32, bf16 or f16), f32, bf16, f16 (CUDA only)");
  app.add_option("--cpu-isa", o.cpu_isa, llmrun::cli::kCpuIsaHelp);
  app.add_option("--threads,-t", o.threads, "CPU threads (0 = all cores)")->check(llmrun::cli::at_least(0));
  app.add_option("-p,--prompt", o.prompt, "Prompt: generate one reply and exit (chat models get their template)");
  app.add_option("-f,--file", o.prompt_file, "Read the prompt from a file (- = stdin)");
  app.add_option("--prompt-ids", o.prompt_ids, "Prompt as token ids (1,2,3); prints generated ids");
  app.add_option("-n,--max-tokens", o.max_tokens, "Tokens to generate (default: until EOS or the context is full; 0: none)")
      ->check(llmrun::cli::at_least(0));
  app.add_option("--ctx", o.ctx, "Context length in tokens (capped at the model's maximum)")->check(llmrun::cli::at_least(1));
  app.add_option_function<double>("--temp", [&](double v) { o.sampling.temperature = v, o.temp_set = true; },
                                  "Sampling temperature (0 = greedy; default from generation_config.json)");
  app.add_option_function<int64_t>("--top-k", [&](int64_t v) { o.sampling.top_k = v, o.top_k_set = true; },
                                   "Keep the k most likely tokens (0 = off)");
  app.add_option_function<double>("--top-p", [&](double v) { o.sampling.top_p = v, o.top_p_set = true; },
                                  "Nucleus sampling mass (1 = off)");
  app.add_option_function<double>("--min-p", [&](double v) { o.sampling.min_p = v, o.min_p_set = true; },
                                  "Drop tokens below min-p x the top probability (0 = off)");
  app.add_option_function<double>("--repeat-penalty",
                                  [&](double v) { o.sampling.repetition_penalty = v, o.repeat_set = true; },
                                  "Repetition penalty (1 = off)");
  app.add_option("--seed", o.sampling.seed, "Random seed for sampling");
  app.add_option("--system", o.system, "System prompt for chat models");
  app.add_option("--chat-format", o.chat_format,
                 "none, chatml, qwen3, llama3, llama2, mistral (default: from the checkpoint's chat_template)");
  app.add_option("--think", o.think, "Reasoning models: show | hide | off (default show)");
  app.add_flag("--no-chat", o.no_chat, "Plain completion even for chat models");
  app.add_flag("--stats", o.stats, "Print load time and speeds on stderr");
  app.add_flag("--verbose,-v", o.verbose, "More detail on stderr");
  app.add_flag("--show-prompt-ids", o.show_prompt_ids,
               "Print each prompt's token ids on stderr (chat: the whole rendered conversation, every turn)");

  QuantizeOptions q;
  CLI::App* quantize = app.add_subcommand("quantize", "Write a pre-quantized checkpoint that loads without re-quantizing");
  quantize->add_option("--model,-m", q.model, "Source checkpoint (folder, alias or repo id)")->required();
  quantize->add_option("--precision", q.precision, "Weight formats, as for generation")->required();
  quantize->add_option("--tensor-precision", q.tensor_precision, "REGEX=FORMAT overrides (repeatable)");
  quantize->add_option("--imatrix", q.imatrix, "auto (default), none, probe, self or an importance matrix file, as for generation");
  quantize->add_option("--out,-o", q.out, "Output folder")->required();

  TokenizeOptions t;
  CLI::App* tokenize = app.add_subcommand("tokenize", "Print the token ids of a text");
  tokenize->add_option("--model,-m", t.model, "Checkpoint or tokenizer folder, tokenizer.json or .model file")->required();
  tokenize->add_option("text", t.text, "Text to tokenize");
  tokenize->add_option("-f,--file", t.file, "Read the text from a file (- = stdin)");
  tokenize->add_flag("--no-special", t.no_special, "Do not add BOS/EOS");
  TokenizeOptions d;
  CLI::App* detokenize = app.add_subcommand("detokenize", "Print the text of token ids");
  detokenize->add_option("--model,-m", d.model, "Checkpoint or tokenizer folder, tokenizer.json or .model file")->required();
  detokenize->add_option("ids", d.ids, "Ids: 1,2,3 (or read from -f / stdin)");
  detokenize->add_option("-f,--file", d.file, "Read ids from a file (- = stdin)");
  detokenize->add_flag("--skip-special", d.no_special, "Leave special tokens out");

  return run_cli("llmrun", app, argc, argv, [&] {
    if (quantize->parsed()) return run_quantize(q);
    if (tokenize->parsed()) return run_tokenize(t);
    if (detokenize->parsed()) return run_detokenize(d);
    if (!o.prompt.empty() || !o.prompt_file.empty() || !o.prompt_ids.empty()) return run_complete(o);
    return run_chat(o);
  });
}
