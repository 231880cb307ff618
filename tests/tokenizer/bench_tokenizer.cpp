// Tokenizer speed (not a test): encode MB/s over the whole WikiText-2 test file with the
// Qwen3 tokenizer, and the time to load Qwen3's 11 MB tokenizer.json. The HF side is
// scripts/bench_tokenizer_hf.py (same text, same calls, single thread).
//
//   build-tok/tests/tokenizer/bench_tokenizer [--benchmark_filter=...]
// Fixtures come from $LLMRUN_FIXTURES (default ../shared/fixtures).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "loaders/tokenizer/tokenizer.h"

namespace {

std::string fixtures() {
  const char* v = std::getenv("LLMRUN_FIXTURES");
  return (v && *v) ? v : "../shared/fixtures";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s (set LLMRUN_FIXTURES)\n", path.c_str());
    std::exit(2);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string& qwen3_path() {
  static const std::string p = fixtures() + "/tokenizers/qwen3/tokenizer.json";
  return p;
}

const std::string& wikitext() {
  static const std::string text = read_all(fixtures() + "/wikitext2/wiki.test.raw");
  return text;
}

void BM_LoadQwen3(benchmark::State& state) {
  for (auto _ : state) {
    auto tok = llmrun::load_tokenizer(qwen3_path());
    benchmark::DoNotOptimize(tok.get());
  }
}
BENCHMARK(BM_LoadQwen3)->Unit(benchmark::kMillisecond)->Iterations(3);

// A fresh tokenizer each iteration: the word cache starts empty, as on first use.
void BM_EncodeWikitextWhole_ColdCache(benchmark::State& state) {
  const std::string& text = wikitext();
  size_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto tok = llmrun::load_tokenizer(qwen3_path());
    state.ResumeTiming();
    n = tok->encode(text, false).size();
  }
  state.counters["tokens"] = static_cast<double>(n);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_EncodeWikitextWhole_ColdCache)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_EncodeWikitextWhole(benchmark::State& state) {
  static const auto tok = llmrun::load_tokenizer(qwen3_path());
  const std::string& text = wikitext();
  size_t n = 0;
  for (auto _ : state) n = tok->encode(text, false).size();
  state.counters["tokens"] = static_cast<double>(n);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_EncodeWikitextWhole)->Unit(benchmark::kMillisecond);

void BM_EncodeWikitextPerLine(benchmark::State& state) {
  static const auto tok = llmrun::load_tokenizer(qwen3_path());
  const std::string& text = wikitext();
  size_t n = 0;
  for (auto _ : state) {
    n = 0;
    size_t start = 0;
    while (start <= text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string::npos) nl = text.size();
      n += tok->encode(std::string_view(text).substr(start, nl - start), true).size();
      start = nl + 1;
    }
  }
  state.counters["tokens"] = static_cast<double>(n);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_EncodeWikitextPerLine)->Unit(benchmark::kMillisecond);

void BM_Encode10kWord(benchmark::State& state) {
  static const auto tok = llmrun::load_tokenizer(qwen3_path());
  std::string word;
  unsigned x = 12345;
  for (int i = 0; i < 10240; ++i) {
    x = x * 1103515245u + 12345u;
    word.push_back(static_cast<char>('a' + (x >> 16) % 26));
  }
  for (auto _ : state) benchmark::DoNotOptimize(tok->encode(word, false));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * word.size()));
}
BENCHMARK(BM_Encode10kWord)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
