#pragma once
// Speed of one loaded model: prefill and decode tokens/second and time to first token,
// warm-up excluded, median (and min/max) of repetitions; peak resident memory.
#include <cstdint>
#include <functional>

#include "runtime/generate.h"
#include "runtime/models/decoder.h"
#include "runtime/sampler.h"

namespace llmrun::eval {

struct BenchSettings {
  int64_t prompt_len = 128;
  int64_t gen_len = 128;
  int reps = 3;
  int warmup = 1;
  // The end-to-end pass generates as a user's run does: sampled with these settings (Qwen3's
  // defaults: temperature 0.6, top-k 20, top-p 0.95) and each token handed to on_token (the
  // CLI streams it through the tokenizer's detokenizer when the model has one).
  SamplerOptions sampling{0.6, 20, 0.95, 0.0, 1.0, 1};
  std::function<void(int32_t)> on_token;
};

struct BenchResult {
  double prefill_tps = 0, prefill_min = 0, prefill_max = 0;
  double decode_tps = 0, decode_min = 0, decode_max = 0;
  double ttft_ms = 0;          // median prefill time of the prompt (first token's logits)
  // Generated tokens per second as a user sees them: forward + sampling + on_token, after
  // the first token (median over the repetitions); decode_tps is the forward alone.
  double generate_tps = 0;
  double peak_rss_bytes = 0;   // since reset_peak_rss()
};

BenchResult bench_model(DecoderModel& model, const BenchSettings& settings);

// Linux: restarts the peak-RSS counter (VmHWM) so each precision's peak is its own.
void reset_peak_rss();
double peak_rss_bytes();

}  // namespace llmrun::eval
