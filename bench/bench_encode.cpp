// Encoding cost per format: what quantizing at load time (or `llmrun quantize`) spends per
// weight, one thread, on random rows of a real width (Qwen3-0.6B's hidden 1024). The
// group-scaled formats search each group's scale (grouped_codec.h), so they cost several
// trial encodes per weight, and more with an importance matrix (--imatrix: each input's
// mean square, here drawn like a real matrix's, a few columns far above the rest);
// items_per_second counts weights.
//   encode/<fmt>            encode_row
//   encode_weighted/<fmt>   encode_row_weighted, for the formats that have it
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/quant/weight_format.h"

namespace llmrun {
namespace {

constexpr int64_t kCols = 1024, kRows = 64;

void encode(benchmark::State& state, const CodecRecord* c, bool weighted) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(size_t(kRows * kCols));
  for (float& v : w) v = normal(rng);
  std::lognormal_distribution<float> spread(0.0f, 1.5f);
  std::vector<float> importance(static_cast<size_t>(kCols));
  for (float& v : importance) v = spread(rng);
  std::vector<uint8_t> packed(size_t(kRows * c->row_bytes(kCols)));
  std::vector<float> scales(static_cast<size_t>(kRows));
  for (auto _ : state) {
    for (int64_t r = 0; r < kRows; ++r) {
      uint8_t* dst = packed.data() + r * c->row_bytes(kCols);
      if (weighted) c->encode_row_weighted(w.data() + r * kCols, kCols, importance.data(), dst, &scales[size_t(r)]);
      else c->encode_row(w.data() + r * kCols, kCols, dst, &scales[size_t(r)]);
    }
    benchmark::DoNotOptimize(packed.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kRows * kCols);
}

}  // namespace
}  // namespace llmrun

int main(int argc, char** argv) {
  for (const llmrun::CodecRecord* c : llmrun::all_codecs()) {
    const std::string name = std::string("encode/") + c->name;
    benchmark::RegisterBenchmark(name.c_str(), [c](benchmark::State& state) { llmrun::encode(state, c, false); });
    if (c->encode_row_weighted)
      benchmark::RegisterBenchmark((std::string("encode_weighted/") + c->name).c_str(),
                                   [c](benchmark::State& state) { llmrun::encode(state, c, true); });
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
