// CPU linear kernels on real model shapes, every format in one run so they compare side by
// side:
//   gemv/<isa>/<fmt>/<in>x<out>/t<threads>       decode, one token, weights cold (below)
//   gemv_warm/<isa>/<fmt>/...                    the same weights every iteration (in
//                                                L2/L3): the decoders' compute cost
//   gemm/<isa>/<fmt>/<in>x<out>/n128/t<threads>  prefill of 128 tokens
//   gemm/<isa>/<fmt>/<in>x<out>/n<4..64>/t1      short prompts (the best ISA, three formats)
//   gemm/<isa>/<fmt>/<in>x<out>/n512/t1          SmolLM2-135M's prefill shapes (idem)
//   .../lut                                      fp8/fp6 decoded through a table gather
//   <isa> = avx2, avx512 (those this CPU runs) or scalar (the reference)
//   read/t<threads>, memcpy/t<threads>     memory bandwidth of this machine, same binary
// bytes_per_second counts the packed weight bytes streamed (per-row scales excluded);
// GFLOP/s counts 2 n in out. Weights are random rows encoded by the format's codec.
//
// Cold weights: a real decode step walks every layer's weights once, far more than the
// caches hold, so each benchmark cycles through enough copies of its weight (>= 96 MiB,
// 3x this machine's L3) that every iteration streams it from memory.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/linear.h"
#include "kernels/quant/weight_format.h"

namespace llmrun::cpu {
namespace {

constexpr int64_t kColdBytes = int64_t(96) << 20;

struct Shape {
  int64_t in, out;
  const char* what;
};
// Qwen3-0.6B (hidden 1024, intermediate 3072, q 16 x 128, vocab 151936) and a Qwen3-4B MLP.
const Shape kShapes[] = {{1024, 3072, "0.6B up/gate"},
                         {3072, 1024, "0.6B down"},
                         {1024, 2048, "0.6B q"},
                         {1024, 151936, "0.6B lm head"},
                         {2560, 9728, "4B up/gate"}};
const Shape kSmolShapes[] = {{576, 1536, "135M up/gate"}, {1536, 576, "135M down"}, {576, 576, "135M q/o"}};

// Copies of one weight: a pool of 64 random rows encoded once and repeated.
std::vector<std::unique_ptr<CpuWeight>> make_weights(const CodecRecord& c, int64_t rows, int64_t cols,
                                                     int copies) {
  constexpr int64_t kPool = 64;
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t rb = c.row_bytes(cols);
  std::vector<uint8_t> pool(size_t(kPool * rb));
  std::vector<float> pool_scales(kPool), src(static_cast<size_t>(cols));
  for (int64_t r = 0; r < kPool; ++r) {
    for (float& f : src) f = 0.02f * normal(rng);
    c.encode_row(src.data(), cols, pool.data() + r * rb, &pool_scales[size_t(r)]);
  }
  HostWeight h;
  h.name = "bench";
  h.format = c.format;
  h.rows = rows;
  h.cols = cols;
  h.packed.resize(size_t(rows * rb));
  h.scales.resize(size_t(rows));
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(h.packed.data() + r * rb, pool.data() + (r % kPool) * rb, size_t(rb));
    h.scales[size_t(r)] = pool_scales[size_t(r % kPool)];
  }
  std::vector<std::unique_ptr<CpuWeight>> ws;
  for (int i = 0; i < copies; ++i) ws.push_back(std::make_unique<CpuWeight>(h));
  return ws;
}

// The weights of the benchmark running now; the previous benchmark's are freed first.
const std::vector<std::unique_ptr<CpuWeight>>& weights(const CodecRecord& c, int64_t rows, int64_t cols,
                                                       bool cold) {
  static std::string key;
  static std::vector<std::unique_ptr<CpuWeight>> ws;
  const std::string want = std::string(c.name) + "/" + std::to_string(rows) + "x" + std::to_string(cols) +
                           (cold ? "/cold" : "/warm");
  if (key != want) {
    ws.clear();
    const int64_t bytes = rows * c.row_bytes(cols);
    const int copies = cold ? int(std::max<int64_t>(1, (kColdBytes + bytes - 1) / bytes)) : 1;
    ws = make_weights(c, rows, cols, copies);
    key = want;
  }
  return ws;
}

void bm_linear(benchmark::State& state, const CodecRecord* c, Shape shape, int64_t n, int threads,
               KernelIsa isa, MinifloatDecode decode, bool cold) {
  const auto& ws = weights(*c, shape.out, shape.in, cold);
  CpuTensor x(n, shape.in), out(n, shape.out);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& f : x.data) f = normal(rng);
  size_t i = 0;
  for (auto _ : state) {
    linear(x, *ws[i], nullptr, out, threads, isa, decode);
    benchmark::DoNotOptimize(out.data.data());
    benchmark::ClobberMemory();
    i = (i + 1) % ws.size();
  }
  const int64_t weight_bytes = shape.out * c->row_bytes(shape.in);
  state.SetBytesProcessed(int64_t(state.iterations()) * weight_bytes);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(n * shape.in * shape.out) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(shape.what);
}

// Reading 256 MiB (bytes_per_second = bytes read), with the same software prefetch
// distance as the decode kernels: the most a streaming kernel can hope for.
void bm_read(benchmark::State& state, int threads) {
  static std::vector<uint64_t> buf((size_t(256) << 20) / 8, 1);
  for (auto _ : state) {
    uint64_t total = 0;
#pragma omp parallel for num_threads(threads) reduction(+ : total) schedule(static)
    for (int64_t line = 0; line < int64_t(buf.size() / 8); ++line) {
      const uint64_t* p = buf.data() + line * 8;
      __builtin_prefetch(p + 1024);  // 8 KiB ahead
      total += (p[0] + p[1]) + (p[2] + p[3]) + (p[4] + p[5]) + (p[6] + p[7]);
    }
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(buf.size() * 8));
}

// memcpy of 256 MiB (bytes_per_second = bytes copied; memory traffic is twice that or more).
void bm_memcpy(benchmark::State& state, int threads) {
  const size_t bytes = size_t(256) << 20;
  static std::vector<uint8_t> src(bytes, 1), dst(bytes, 0);
  for (auto _ : state) {
#pragma omp parallel num_threads(threads)
    {
      const size_t part = bytes / size_t(omp_get_num_threads());
      const size_t off = part * size_t(omp_get_thread_num());
      std::memcpy(dst.data() + off, src.data() + off, part);
    }
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes));
}

void register_all() {
  std::vector<KernelIsa> isas;
  for (KernelIsa isa : {KernelIsa::avx2, KernelIsa::avx512})
    if (kernel_isa_supported(isa)) isas.push_back(isa);
  const KernelIsa best = best_kernel_isa();
  auto reg = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->UseRealTime()->Unit(benchmark::kMicrosecond)->MinTime(0.3);
  };
  auto shape_name = [](const Shape& s) { return std::to_string(s.in) + "x" + std::to_string(s.out); };
  for (int t : {1, 2}) {
    reg("read/t" + std::to_string(t), [t](benchmark::State& s) { bm_read(s, t); });
    reg("memcpy/t" + std::to_string(t), [t](benchmark::State& s) { bm_memcpy(s, t); });
  }
  for (const Shape& shape : kShapes)
    for (int t : {1, 2})
      for (KernelIsa isa : isas)
        for (const CodecRecord* c : all_codecs()) {
          const std::string name = "gemv/" + std::string(kernel_isa_name(isa)) + "/" + c->name + "/" +
                                   shape_name(shape) + "/t" + std::to_string(t);
          reg(name, [=](benchmark::State& s) { bm_linear(s, c, shape, 1, t, isa, MinifloatDecode::bits, true); });
        }
  // Decoder cost with weights in cache; the fp8/fp6 table variants beside the bit moves;
  // the scalar reference.
  const Shape small = kShapes[0];
  for (const CodecRecord* c : all_codecs()) {
    const bool minifloat = c->format == WeightFormat::fp8_e4m3 || c->format == WeightFormat::fp6_e3m2 ||
                           c->format == WeightFormat::fp6_e2m3;
    const std::string base = std::string(c->name) + "/" + shape_name(small) + "/t1";
    for (KernelIsa isa : isas) {
      const std::string pre = std::string(kernel_isa_name(isa)) + "/";
      reg("gemv_warm/" + pre + base, [=](benchmark::State& s) { bm_linear(s, c, small, 1, 1, isa, MinifloatDecode::bits, false); });
      if (minifloat) {
        reg("gemv_warm/" + pre + base + "/lut", [=](benchmark::State& s) { bm_linear(s, c, small, 1, 1, isa, MinifloatDecode::lut, false); });
        reg("gemv/" + pre + base + "/lut", [=](benchmark::State& s) { bm_linear(s, c, small, 1, 1, isa, MinifloatDecode::lut, true); });
      }
    }
    reg("gemv/scalar/" + base, [=](benchmark::State& s) { bm_linear(s, c, small, 1, 1, KernelIsa::scalar, MinifloatDecode::bits, true); });
  }
  for (int t : {1, 2})
    for (const CodecRecord* c : all_codecs()) {
      const std::string base = std::string(c->name) + "/" + shape_name(small) + "/n128/t" + std::to_string(t);
      for (KernelIsa isa : isas)
        reg("gemm/" + std::string(kernel_isa_name(isa)) + "/" + base,
            [=](benchmark::State& s) { bm_linear(s, c, small, 128, t, isa, MinifloatDecode::bits, false); });
      if (t == 2 && (c->format == WeightFormat::f16 || c->format == WeightFormat::fp6_e3m2))
        reg("gemm/scalar/" + base, [=](benchmark::State& s) { bm_linear(s, c, small, 128, t, KernelIsa::scalar, MinifloatDecode::bits, false); });
    }
  // A 512-token prefill through SmolLM2-135M's linear layers (hidden 576, intermediate 1536).
  for (const Shape& shape : kSmolShapes)
    for (WeightFormat f : {WeightFormat::f16, WeightFormat::int8_g32, WeightFormat::fp6_e2m3_g32}) {
      const CodecRecord* c = &codec(f);
      reg("gemm/" + std::string(kernel_isa_name(best)) + "/" + c->name + "/" + shape_name(shape) + "/n512/t1",
          [=](benchmark::State& s) { bm_linear(s, c, shape, 512, 1, best, MinifloatDecode::bits, false); });
    }
  // Prefill of short prompts, where decoding W is shared by few tokens.
  for (int64_t n : {4, 6, 8, 12, 16, 24, 32, 64})
    for (WeightFormat f : {WeightFormat::f16, WeightFormat::int8_g32, WeightFormat::fp6_e2m3_g32}) {
      const CodecRecord* c = &codec(f);
      reg("gemm/" + std::string(kernel_isa_name(best)) + "/" + c->name + "/" + shape_name(small) + "/n" +
              std::to_string(n) + "/t1",
          [=](benchmark::State& s) { bm_linear(s, c, small, n, 1, best, MinifloatDecode::bits, false); });
    }
  // Batched decode: 2..8 tokens share one pass over W.
  for (int64_t n : {2, 4, 8}) {
    const CodecRecord* c = &codec(WeightFormat::fp8_e4m3);
    reg("gemv/" + std::string(kernel_isa_name(best)) + "/fp8/" + shape_name(kShapes[4]) + "/n" + std::to_string(n) + "/t2",
        [=](benchmark::State& s) { bm_linear(s, c, kShapes[4], n, 2, best, MinifloatDecode::bits, true); });
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
