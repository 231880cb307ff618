// DecoderModel::forward_from_layer against the whole forward it shortcuts.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "runtime/error.h"
#include "runtime/model_loader.h"
#include "tests/model/golden.h"
#include "tests/quiet_load.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

using testing::max_abs;
using testing::max_abs_diff;  // infinite on NaN / inf: a bound on it never passes garbage

// Resuming at any layer from the residual stream the whole forward had entering it gives
// the whole forward's logits: that is what lets llmeval sensitivity skip the layers before
// a swapped tensor. (Resuming starts with rmsnorm where the whole forward fused the add
// into it, so the bound is float rounding, not bit equality.)
TEST(ForwardFromLayer, GivesTheWholeForwardsLogits) {
  for (const char* name : {"qwen3-tiny", "llama-tiny"}) {
    SCOPED_TRACE(name);
    std::unique_ptr<Backend> backend = make_backend({"cpu", 1});
    LoadedModel m = load_model(testing::test_data(std::string("models/") + name), *backend, testing::quiet_load("fp16"));
    DecoderModel& model = *m.model;
    const int64_t layers = model.config().num_layers, hidden = model.config().hidden_size;
    ASSERT_GE(layers, 2);
    std::vector<int32_t> ids(20);
    std::iota(ids.begin(), ids.end(), 5);
    std::vector<std::unique_ptr<Tensor>> inputs;
    for (int64_t l = 0; l < layers; ++l) inputs.push_back(backend->alloc(int64_t(ids.size()), hidden, TensorType::f32));
    KvCache cache = model.new_cache(64);
    const std::vector<float> whole = model.forward(ids, cache, LogitRows::all, [&](const std::string& n, const Tensor& v) {
      if (n == "embed") backend->put_rows(v, 0, *inputs[0]);
      for (int64_t l = 0; l + 1 < layers; ++l)
        if (n == "layer." + std::to_string(l)) backend->put_rows(v, 0, *inputs[size_t(l + 1)]);
    });
    const float scale = max_abs(whole);
    ASSERT_GT(scale, 0.0f);
    for (int64_t l = 0; l < layers; ++l) {
      cache.clear();
      const std::vector<float> resumed = model.forward_from_layer(l, *inputs[size_t(l)], ids, cache);
      EXPECT_LE(max_abs_diff(resumed, whole), 1e-5f * scale) << "from layer " << l;
      EXPECT_EQ(cache.size(), int64_t(ids.size()));
    }
    // Starting one layer late (the wrong input for that layer) is not the same model.
    cache.clear();
    EXPECT_GT(max_abs_diff(model.forward_from_layer(1, *inputs[0], ids, cache), whole), 1e-3f * scale);
  }
}

TEST(ForwardFromLayer, RefusesALayerOrInputThatDoesNotFit) {
  std::unique_ptr<Backend> backend = make_backend({"cpu", 1});
  LoadedModel m = load_model(testing::test_data("models/qwen3-tiny"), *backend, testing::quiet_load("fp16"));
  DecoderModel& model = *m.model;
  const std::vector<int32_t> ids = {5, 6, 7};
  KvCache cache = model.new_cache(16);
  auto input = backend->alloc(3, model.config().hidden_size, TensorType::f32);
  auto short_input = backend->alloc(2, model.config().hidden_size, TensorType::f32);
  EXPECT_THROW(model.forward_from_layer(model.config().num_layers, *input, ids, cache), Error);
  EXPECT_THROW(model.forward_from_layer(-1, *input, ids, cache), Error);
  EXPECT_THROW(model.forward_from_layer(0, *short_input, ids, cache), Error);
}

}  // namespace
}  // namespace llmrun
