// CPU attention per kernel family on real model shapes:
//   prefill/<isa>/<model>/n<tokens>/t<threads>     causal attention of n new tokens, empty cache
//   decode/<isa>/<model>/ctx<positions>/t<threads> one token against a filled cache
//   <isa> = scalar (the reference), avx2, avx512 (those this CPU runs and head_dim allows)
// One layer per iteration; items = query rows x visible positions (score/value pairs).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/attention.h"

namespace llmrun::cpu {
namespace {

struct Model {
  const char* name;
  AttentionShape shape;
};
// SmolLM2-135M (9 heads / 3 KV, d 64), Qwen3-0.6B (16 / 8, d 128).
const Model kModels[] = {{"smollm2", {9, 3, 64}}, {"qwen3-0.6b", {16, 8, 128}}};

void fill(CpuTensor& t, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t r = 0; r < t.rows(); ++r)
    for (int64_t c = 0; c < t.cols(); ++c) t.row(r)[c] = normal(rng);
}

// `prefix` positions already cached, then `n` new rows.
void run(benchmark::State& state, const Model& m, KernelIsa isa, int64_t prefix, int64_t n, int threads) {
  const AttentionShape& s = m.shape;
  std::mt19937 rng(1);
  CpuKvStorage cache(1, s.n_kv_heads, s.head_dim, prefix + n);
  if (prefix > 0) {
    CpuTensor q(prefix, s.n_heads * s.head_dim), k(prefix, s.n_kv_heads * s.head_dim),
        v(prefix, s.n_kv_heads * s.head_dim), out(prefix, s.n_heads * s.head_dim);
    fill(q, rng), fill(k, rng), fill(v, rng);
    attention(q, k, v, cache, 0, 0, s, out, threads, isa);
  }
  CpuTensor q(n, s.n_heads * s.head_dim), k(n, s.n_kv_heads * s.head_dim), v(n, s.n_kv_heads * s.head_dim),
      out(n, s.n_heads * s.head_dim);
  fill(q, rng), fill(k, rng), fill(v, rng);
  for (auto _ : state) {
    attention(q, k, v, cache, 0, prefix, s, out, threads, isa);
    benchmark::DoNotOptimize(out.row(0));
  }
  // Score/value pairs per iteration: each head's row i sees prefix + i + 1 positions.
  const int64_t pairs = s.n_heads * (n * prefix + n * (n + 1) / 2);
  state.SetItemsProcessed(state.iterations() * pairs);
}

void register_all() {
  for (KernelIsa isa : {KernelIsa::scalar, KernelIsa::avx2, KernelIsa::avx512}) {
    if (!kernel_isa_supported(isa)) continue;
    for (const Model& m : kModels) {
      if (m.shape.head_dim % kernel_isa_lanes(isa) != 0) continue;
      for (int threads : {1, 2}) {
        const std::string tail = std::string(kernel_isa_name(isa)) + "/" + m.name;
        for (int64_t n : {128, 512})
          benchmark::RegisterBenchmark(
              ("prefill/" + tail + "/n" + std::to_string(n) + "/t" + std::to_string(threads)).c_str(),
              [=](benchmark::State& st) { run(st, m, isa, 0, n, threads); })
              ->Unit(benchmark::kMillisecond);
        for (int64_t ctx : {512, 4096})
          benchmark::RegisterBenchmark(
              ("decode/" + tail + "/ctx" + std::to_string(ctx) + "/t" + std::to_string(threads)).c_str(),
              [=](benchmark::State& st) { run(st, m, isa, ctx - 1, 1, threads); })
              ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

}  // namespace
}  // namespace llmrun::cpu

int main(int argc, char** argv) {
  llmrun::cpu::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
