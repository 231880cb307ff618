#pragma once
// Speed of one loaded model: prefill and decode tokens/second and time to first token,
// warm-up excluded, median (and min/max) of repetitions; peak resident memory.
#include <cstdint>

#include "runtime/models/decoder.h"

namespace llmrun::eval {

struct BenchSettings {
  int64_t prompt_len = 128;
  int64_t gen_len = 128;
  int reps = 3;
  int warmup = 1;
};

struct BenchResult {
  double prefill_tps = 0, prefill_min = 0, prefill_max = 0;
  double decode_tps = 0, decode_min = 0, decode_max = 0;
  double ttft_ms = 0;          // median prefill time of the prompt (first token's logits)
  double peak_rss_bytes = 0;   // since reset_peak_rss()
};

BenchResult bench_model(DecoderModel& model, const BenchSettings& settings);

// Linux: restarts the peak-RSS counter (VmHWM) so each precision's peak is its own.
void reset_peak_rss();
double peak_rss_bytes();

}  // namespace llmrun::eval
