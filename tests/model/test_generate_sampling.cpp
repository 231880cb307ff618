// generate() with sampling on the backend (Backend::sample at the Sampler's own uniforms)
// against the host path it replaced (logits to the host, Sampler::sample), on stories260k
// through the CPU backend and the CUDA backend's own code on the host harness (cuda-host,
// where decode steps replay a captured forward and the sample runs after it). Both paths
// see the same logits, so the same seed must give the same tokens: the backend differs
// only in rounding (fp32 weights and uniforms on the device), which moves a pick only for
// a uniform within ~1e-6 of a CDF boundary — not met by these seeds. And a regression test
// for captured decode steps being keyed on a cache's address.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/generate.h"
#include "runtime/model_loader.h"
#include "tests/quiet_load.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

// Options exact in fp32 (SamplingParams holds fp32).
SamplerOptions options(int64_t top_k, double top_p, double min_p, uint64_t seed) {
  SamplerOptions o;
  o.temperature = 0.75;
  o.top_k = top_k;
  o.top_p = top_p;
  o.min_p = min_p;
  o.seed = seed;
  return o;
}

// The host path: full logits each step, Sampler::sample.
std::vector<int32_t> sample_on_host(DecoderModel& m, const std::vector<int32_t>& prompt, Sampler& s, int n) {
  KvCache cache = m.new_cache(int64_t(prompt.size()) + n);
  std::vector<int32_t> history = prompt, out;
  std::vector<float> logits = m.forward(prompt, cache);
  for (int i = 0; i < n; ++i) {
    const int32_t id = s.sample(logits.data(), m.config().vocab_size, history);
    out.push_back(id);
    history.push_back(id);
    if (i + 1 < n) logits = m.forward({id}, cache);
  }
  return out;
}

// Greedy ids through the KV cache, one token per step (decode steps replayed from a
// captured graph where the backend captures).
std::vector<int32_t> greedy_ids(DecoderModel& m, const std::vector<int32_t>& prompt, int n) {
  KvCache cache = m.new_cache(int64_t(prompt.size()) + n);
  std::vector<int32_t> out;
  int32_t next = m.forward_argmax(prompt, cache);
  for (int i = 0; i < n; ++i) {
    out.push_back(next);
    if (i + 1 < n) next = m.forward_argmax({next}, cache);
  }
  return out;
}

class GenerateSampling : public ::testing::TestWithParam<std::string> {};

TEST_P(GenerateSampling, BackendPicksWhatTheSamplerPicks) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  const std::unique_ptr<Backend> backend = make_backend({GetParam(), 2, "auto"});
  LoadedModel l = load_model(dir, *backend, testing::quiet_load("auto"));
  DecoderModel& m = *l.model;
  ASSERT_TRUE(backend->supports(Op::sample, WeightFormat::f32, m.activation_dtype()));
  const bool harness = GetParam() == "cuda-host";  // ~30 ms a token there
  const int n = harness ? 24 : 40;
  std::vector<SamplerOptions> grid = {options(20, 0.875, 0.0, 1), options(0, 0.875, 0.0, 2),
                                      options(5, 1.0, 0.0625, 4)};
  if (!harness) grid.push_back(options(0, 1.0, 0.0, 3));
  for (const SamplerOptions& o : grid) {
    Sampler host(o), device(o);
    const std::vector<int32_t> want = sample_on_host(m, {1}, host, n);
    KvCache cache = m.new_cache(1 + n);
    GenerationRequest request;
    request.prompt = {1};
    request.max_new_tokens = n;
    const std::vector<int32_t> got = generate(m, cache, device, request, nullptr);
    EXPECT_EQ(got, want) << GetParam() << " top_k " << o.top_k << " top_p " << o.top_p << " min_p " << o.min_p;
    if (harness) continue;
    // Not greedy: a run of identical argmax tokens would make the comparison weak.
    EXPECT_NE(got, greedy_ids(m, {1}, n)) << GetParam() << " seed " << o.seed;
  }
}

// A cache made where a freed one was (same size: the allocator reuses the address) gets
// its own captured step; replaying the old one would use the freed cache's buffers.
TEST_P(GenerateSampling, EachNewCacheGetsItsOwnCapturedStep) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  const std::unique_ptr<Backend> backend = make_backend({GetParam(), 2, "auto"});
  const std::unique_ptr<Backend> cpu = make_backend({"cpu", 2, "auto"});
  LoadedModel l = load_model(dir, *backend, testing::quiet_load("auto"));
  LoadedModel ref = load_model(dir, *cpu, testing::quiet_load("auto"));
  for (const std::vector<int32_t>& prompt :
       {std::vector<int32_t>{1}, std::vector<int32_t>{1, 403}, std::vector<int32_t>{1, 261}})
    EXPECT_EQ(greedy_ids(*l.model, prompt, 8), greedy_ids(*ref.model, prompt, 8)) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Devices, GenerateSampling, ::testing::Values("cpu", "cuda-host"));

}  // namespace
}  // namespace llmrun
