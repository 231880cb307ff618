// Choosing one token on the CPU, per call (= per generated token), one thread:
//   reference/...  runtime/sampler.cpp's Sampler::sample: a stable sort of the vocabulary
//   cpu/...        kernels/cpu/sample.cpp's cpu::sample: partial selection, no sort
//   argmax         greedy decoding's pick, for scale
// at Qwen3's vocabulary (151,936) and defaults (top-k 20, top-p 0.95, T 0.6), and with
// top-k off. Logits: N(0, 2.5^2) with a few tokens raised well above the rest, like a
// language model's next-token distribution (a handful of plausible tokens, a long tail).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/cpu/sample.h"
#include "runtime/sampler.h"

namespace llmrun {
namespace {

constexpr int64_t kVocab = 151936;

std::vector<float> make_logits(uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 2.5f);
  std::vector<float> v(size_t(kVocab), 0.0f);
  for (float& x : v) x = normal(rng);
  for (int i = 0; i < 8; ++i) v[rng() % size_t(kVocab)] = 14.0f + float(i);
  return v;
}

SamplerOptions options(int64_t top_k, double top_p) {
  SamplerOptions o;
  o.temperature = 0.6;
  o.top_k = top_k;
  o.top_p = top_p;
  o.seed = 1;
  return o;
}

void reference(benchmark::State& state, int64_t top_k, double top_p) {
  const std::vector<float> logits = make_logits(7);
  Sampler s(options(top_k, top_p));
  for (auto _ : state) benchmark::DoNotOptimize(s.sample(logits.data(), kVocab, {}));
}

void cpu_sample(benchmark::State& state, int64_t top_k, double top_p) {
  const std::vector<float> logits = make_logits(7);
  Sampler s(options(top_k, top_p));
  const SamplingParams p = s.params();
  for (auto _ : state) benchmark::DoNotOptimize(cpu::sample(logits.data(), kVocab, p, s.next_uniform()));
}

void greedy(benchmark::State& state) {
  const std::vector<float> logits = make_logits(7);
  for (auto _ : state) benchmark::DoNotOptimize(argmax(logits.data(), kVocab));
}

BENCHMARK_CAPTURE(reference, top_k20_top_p0.95, 20, 0.95)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(cpu_sample, top_k20_top_p0.95, 20, 0.95)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(reference, top_k_off_top_p0.95, 0, 0.95)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(cpu_sample, top_k_off_top_p0.95, 0, 0.95)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(reference, top_k_off_top_p1, 0, 1.0)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(cpu_sample, top_k_off_top_p1, 0, 1.0)->Unit(benchmark::kMicrosecond);
BENCHMARK(greedy)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace llmrun

BENCHMARK_MAIN();
