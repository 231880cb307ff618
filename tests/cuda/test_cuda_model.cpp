// The whole model through the CUDA backend's own code against the CPU backend and the
// transformers goldens: on the host harness (`cuda-host`) everywhere, and on a GPU
// (`cuda`) where there is one (skipped otherwise). The CUDA backend runs the model code
// unchanged (model code never branches on the device), so what differs from the CPU is
// only the kernels, the device layout of the weights, and the activation dtype.
#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "kernels/cuda/cuda_devices.h"
#include "kernels/quant/weight_format.h"
#include "runtime/model_loader.h"
#include "tests/model/golden.h"
#include "tests/quiet_load.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

using testing::Golden;
using testing::load_golden;
using testing::max_abs;
using testing::max_abs_diff;

struct Loaded {
  std::unique_ptr<Backend> backend;
  LoadedModel model;
};

Loaded load(const std::string& dir, const std::string& device, const std::string& precision,
            const std::string& activations = "auto") {
  Loaded l;
  l.backend = make_backend({device, 2, activations});
  l.model = load_model(dir, *l.backend, testing::quiet_load(precision));
  return l;
}

// Greedy ids from `prompt` through the KV cache, one token per step, chosen by the
// backend's argmax (the path llmrun takes).
std::vector<int32_t> greedy(DecoderModel& m, std::vector<int32_t> prompt, int n) {
  KvCache cache = m.new_cache(int64_t(prompt.size()) + n);
  std::vector<int32_t> out;
  int32_t next = m.forward_argmax(prompt, cache);
  for (int i = 0; i < n; ++i) {
    out.push_back(next);
    if (i + 1 < n) next = m.forward_argmax({next}, cache);
  }
  return out;
}

std::vector<int32_t> read_ids(const std::string& path) {
  std::ifstream in(path);
  return std::vector<int32_t>(std::istream_iterator<int32_t>(in), std::istream_iterator<int32_t>());
}

class CudaModel : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "cuda" && (!cuda::built_with_cuda() || cuda::list_devices().empty()))
      GTEST_SKIP() << "no GPU here (" << cuda::unavailable_reason() << "); cuda-host ran these";
  }
};

// stories260k is an fp32 checkpoint, so activations are fp32 and every op differs from the
// CPU only in summation order: all 200 golden ids must come out.
TEST_P(CudaModel, Stories260kGreedyIdsMatchTheGolden) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  const std::vector<int32_t> expected = read_ids(dir + "/expected_greedy.ids.txt");
  ASSERT_GE(expected.size(), 201u);
  Loaded l = load(dir, GetParam(), "auto");
  const std::vector<int32_t> got = greedy(*l.model.model, {expected[0]}, int(expected.size()) - 1);
  EXPECT_EQ(got, std::vector<int32_t>(expected.begin() + 1, expected.end()));
}

// Quantized weights decode exactly to the same values on both backends; fp32 activations
// again leave only summation order, so the first tokens agree (30: past that, near-ties
// may legitimately flip). Every quantized format of the codec table, and fp16.
TEST_P(CudaModel, Stories260kQuantizedMatchesCpu) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  std::vector<std::string> precisions = {"fp16"};
  for (const CodecRecord* c : all_codecs())
    if (c->packed()) precisions.push_back(c->name);
  ASSERT_GE(precisions.size(), 8u);
  for (const std::string& precision : precisions) {
    Loaded cpu = load(dir, "cpu", precision), dev = load(dir, GetParam(), precision);
    const std::vector<int32_t> want = greedy(*cpu.model.model, {1}, 30);
    EXPECT_EQ(greedy(*dev.model.model, {1}, 30), want) << precision;
  }
}

// The transformers goldens with fp32 activations: the CPU's bound (1e-4 of the largest
// reference value, derived in tests/model/test_golden_models.cpp) holds here too.
TEST_P(CudaModel, TinyGoldensLogitsWithF32Activations) {
  for (const std::string name : {"qwen3-tiny", "llama-tiny", "qwen2-tiny", "tf5-qwen3-yarn", "tf5-llama-linear", "tf5-qwen2"}) {
    const Golden g = load_golden(name);
    Loaded l = load(g.dir, GetParam(), "auto", "f32");
    KvCache cache = l.model.model->new_cache(int64_t(g.prompt_ids.size()));
    const std::vector<float> logits = l.model.model->forward(g.prompt_ids, cache, LogitRows::all);
    const std::vector<float> ref = g.get("logits");
    ASSERT_EQ(logits.size(), ref.size()) << name;
    const float err = max_abs_diff(logits, ref), bound = 1e-4f * max_abs(ref);
    EXPECT_LE(err, bound) << name;
    std::printf("[ measured ] %s %-10s f32 activations: max|diff| %.3g (bound %.3g)\n", GetParam().c_str(),
                name.c_str(), err, bound);
  }
}

// The same checkpoints (bf16) with their own bf16 activations, against transformers' fp32
// reference. Every value between ops is rounded to bf16 (unit roundoff u = 2^-8). To first
// order each rounding perturbs the residual stream by at most u of the value rounded, and
// RMSNorm/attention/MLP pass relative perturbations on with gain ~1 in these random-weight
// models, so the logits move by at most R * u * max|logit| with R the number of roundings on
// the longest path: 9 per layer (normed, q, k, v, attention out, o-proj out, gate, up,
// swiglu) plus the final norm and the logits themselves. Random tiny models have top-1
// margins far below that, so greedy tokens may legitimately differ; what must hold is that
// every token the backend picks (on the device, fed transformers' own continuation) is
// within that bound of transformers' best logit at that step.
TEST_P(CudaModel, TinyGoldensWithBf16Activations) {
  for (const std::string name : {"qwen3-tiny", "llama-tiny", "qwen2-tiny", "tf5-qwen3-yarn", "tf5-llama-linear", "tf5-qwen2"}) {
    const Golden g = load_golden(name);
    Loaded l = load(g.dir, GetParam(), "auto");
    DecoderModel& m = *l.model.model;
    ASSERT_EQ(l.backend->activation_dtype(WeightFormat::bf16), TensorType::bf16);
    KvCache cache = m.new_cache(int64_t(g.prompt_ids.size()));
    const std::vector<float> logits = m.forward(g.prompt_ids, cache, LogitRows::all);
    const std::vector<float> ref = g.get("logits");
    const double roundings = 9.0 * double(m.config().num_layers) + 2.0;
    const float err = max_abs_diff(logits, ref), bound = float(roundings * 0.00390625 * max_abs(ref));
    EXPECT_LE(err, bound) << name;
    std::printf("[ measured ] %s %-10s bf16 activations: max|diff| %.3g (bound %.3g)\n", GetParam().c_str(),
                name.c_str(), err, bound);
    const std::vector<float> steps = g.get("greedy_logits");  // [greedy steps, vocab]
    const size_t vocab = size_t(m.config().vocab_size);
    KvCache step_cache = m.new_cache(int64_t(g.prompt_ids.size() + g.greedy_ids.size()));
    int32_t pick = m.forward_argmax(g.prompt_ids, step_cache);
    for (size_t k = 0; k < g.greedy_ids.size(); ++k) {
      const float* ref_step = steps.data() + k * vocab;
      const float best = *std::max_element(ref_step, ref_step + vocab);
      EXPECT_GE(ref_step[size_t(pick)], best - 2 * bound) << name << " step " << k << " picked " << pick;
      if (k + 1 < g.greedy_ids.size()) pick = m.forward_argmax({g.greedy_ids[k]}, step_cache);
    }
  }
}

// Several sequences in one forward (lambada's path; one attention launch through the
// backend's slot table) equal each run alone: a first chunk, a step of one token each on
// the same caches, 20 one-token sequences (more rows than decode takes at once, still one
// row per sequence), runs long enough for the prefill kernel, and caches of different
// capacities (one launch per sequence).
TEST_P(CudaModel, BatchedSequencesEqualOneByOne) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  Loaded l = load(dir, GetParam(), "auto");
  DecoderModel& m = *l.model.model;
  struct Run {
    std::vector<std::vector<int32_t>> chunks;  // fed one forward after another
    int64_t capacity;
  };
  auto check = [&](const std::vector<Run>& runs, const char* what) {
    SCOPED_TRACE(what);
    std::vector<KvCache> together, alone;
    for (const Run& r : runs) together.push_back(m.new_cache(r.capacity)), alone.push_back(m.new_cache(r.capacity));
    for (size_t step = 0; step < runs[0].chunks.size(); ++step) {
      std::vector<DecoderModel::Sequence> batch;
      std::vector<float> one_by_one;
      for (size_t i = 0; i < runs.size(); ++i) {
        batch.push_back({&runs[i].chunks[step], &together[i]});
        const std::vector<float> one = m.forward(runs[i].chunks[step], alone[i], LogitRows::all);
        one_by_one.insert(one_by_one.end(), one.begin(), one.end());
      }
      const std::vector<float> batched = m.forward_batch(batch, LogitRows::all);
      ASSERT_EQ(batched.size(), one_by_one.size());
      EXPECT_LE(max_abs_diff(batched, one_by_one), 1e-5f * max_abs(one_by_one)) << "step " << step;
    }
  };
  check({{{{1, 403, 407, 261}, {300}}, 16}, {{{1, 300}, {261}}, 16}, {{{1, 261, 378, 432, 383, 286}, {407}}, 16}},
        "decode-sized batch, then one token each");
  std::vector<Run> many;
  for (int32_t i = 0; i < 20; ++i) many.push_back({{{1, 261 + i}, {300 + i}}, 8});
  check(many, "20 sequences");
  std::vector<int32_t> long_a, long_b;
  for (int32_t i = 0; i < 21; ++i) long_a.push_back(260 + (i * 37) % 200);
  for (int32_t i = 0; i < 9; ++i) long_b.push_back(300 + (i * 11) % 100);
  check({{{long_a, {5}}, 40}, {{long_b, {6}}, 40}}, "prefill-sized runs");
  check({{{long_b, {5}}, 40}, {{{1, 300}, {7}}, 12}}, "different capacities");
}

INSTANTIATE_TEST_SUITE_P(Devices, CudaModel, ::testing::Values("cuda-host", "cuda"),
                         [](const auto& test) { return test.param == "cuda" ? std::string("gpu") : std::string("host"); });

}  // namespace
}  // namespace llmrun
