#include "eval/bench.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "runtime/error.h"

namespace llmrun::eval {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

void reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";  // "5" resets the peak resident set size
}

double peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) * 1024.0;  // kB
  return 0;
}

BenchResult bench_model(DecoderModel& model, const BenchSettings& s) {
  using clock = std::chrono::steady_clock;
  const ModelConfig& c = model.config();
  if (s.prompt_len < 1 || s.gen_len < 1 || s.reps < 1) fail("bench: --prompt-len, --gen-len and --reps must be >= 1");
  if (s.prompt_len + s.gen_len > c.max_position_embeddings)
    fail("bench: --prompt-len + --gen-len = ", s.prompt_len + s.gen_len, " exceeds the model's context of ",
         c.max_position_embeddings);
  // Fixed pseudo-random tokens: speed does not depend on which ids they are, and fixed
  // inputs keep runs comparable.
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int32_t> id(0, int32_t(c.vocab_size - 1));
  std::vector<int32_t> prompt(size_t(s.prompt_len)), next(size_t(s.gen_len));
  for (int32_t& t : prompt) t = id(rng);
  for (int32_t& t : next) t = id(rng);

  // The path greedy generation takes: the token is chosen on the backend and only its id
  // is read back (on CUDA, decode steps replay a captured graph).
  KvCache cache = model.new_cache(s.prompt_len + s.gen_len);
  std::vector<double> prefill, decode, ttft;
  for (int r = 0; r < s.warmup + s.reps; ++r) {
    cache.clear();
    const auto t0 = clock::now();
    model.forward_argmax(prompt, cache);
    const auto t1 = clock::now();
    for (int64_t k = 0; k < s.gen_len; ++k) model.forward_argmax({next[size_t(k)]}, cache);
    const auto t2 = clock::now();
    if (r < s.warmup) continue;
    const double p = std::chrono::duration<double>(t1 - t0).count();
    const double d = std::chrono::duration<double>(t2 - t1).count();
    prefill.push_back(double(s.prompt_len) / p);
    decode.push_back(double(s.gen_len) / d);
    ttft.push_back(p * 1e3);
  }
  // End to end: generate() with sampling and the caller's per-token work, the same prompt.
  std::vector<double> generated;
  for (int r = 0; r < s.warmup + s.reps; ++r) {
    cache.clear();
    Sampler sampler(s.sampling);
    GenerationRequest request;
    request.prompt = prompt;
    request.max_new_tokens = s.gen_len;
    GenerationStats stats;
    generate(model, cache, sampler, request, [&](int32_t token) {
      if (s.on_token) s.on_token(token);
      return true;
    }, &stats);
    if (r >= s.warmup) generated.push_back(stats.decode_tokens_per_second());
  }
  BenchResult b;
  b.generate_tps = median(generated);
  b.prefill_tps = median(prefill);
  b.prefill_min = *std::min_element(prefill.begin(), prefill.end());
  b.prefill_max = *std::max_element(prefill.begin(), prefill.end());
  b.decode_tps = median(decode);
  b.decode_min = *std::min_element(decode.begin(), decode.end());
  b.decode_max = *std::max_element(decode.begin(), decode.end());
  b.ttft_ms = median(ttft);
  b.peak_rss_bytes = peak_rss_bytes();
  return b;
}

}  // namespace llmrun::eval
