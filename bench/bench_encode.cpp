// Encoding cost per format: what quantizing at load time (or `llmrun quantize`) spends per
// weight, one thread, on random rows of a real width (Qwen3-0.6B's hidden 1024). The
// group-scaled formats search each group's scale (grouped_codec.h), so they cost several
// trial encodes per weight; items_per_second counts weights.
//   encode/<fmt>
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/quant/weight_format.h"

namespace llmrun {
namespace {

constexpr int64_t kCols = 1024, kRows = 64;

void encode(benchmark::State& state, const CodecRecord* c) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(size_t(kRows * kCols));
  for (float& v : w) v = normal(rng);
  std::vector<uint8_t> packed(size_t(kRows * c->row_bytes(kCols)));
  std::vector<float> scales(static_cast<size_t>(kRows));
  for (auto _ : state) {
    for (int64_t r = 0; r < kRows; ++r)
      c->encode_row(w.data() + r * kCols, kCols, packed.data() + r * c->row_bytes(kCols), &scales[size_t(r)]);
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
    benchmark::RegisterBenchmark(name.c_str(), [c](benchmark::State& state) { llmrun::encode(state, c); });
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
