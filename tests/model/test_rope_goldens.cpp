// RoPE against transformers' own rotary embedding (LlamaRotaryEmbedding; Qwen2/Qwen3/Mistral
// share its code), for the config.json layouts of transformers 4.57 (rope_theta +
// rope_scaling) and 5.x (rope_parameters): tests/data/rope/transformers-<version>.json,
// written by scripts/make_goldens.py. Each case: the config as transformers saves it, its
// inv_freq and attention scaling, and cos/sin at positions near and far beyond
// original_max_position_embeddings.
#include <cmath>

#include <nlohmann/json.hpp>

#include "kernels/cpu/cpu_tensor.h"
#include "loaders/hf_config.h"
#include "runtime/model_loader.h"
#include "runtime/rope_frequencies.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

float ulp(float x) { return std::nextafter(std::fabs(x), INFINITY) - std::fabs(x); }

class RopeGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(RopeGolden, TablesAndRotationsMatchTransformers) {
  const auto g = nlohmann::json::parse(testing::read_file(testing::test_data("rope/transformers-" + GetParam() + ".json")));
  ASSERT_EQ(g.at("transformers"), GetParam());
  ASSERT_GE(g.at("cases").size(), 8u);
  auto backend = make_backend({"cpu", 1});
  for (const auto& k : g.at("cases")) {
    const std::string name = k.at("name");
    SCOPED_TRACE(GetParam() + " " + name);
    const ModelConfig c = parse_model_config(k.at("config").dump(), name + "/config.json");
    const RopeTable t = rope_table(c);
    const auto ref_inv = k.at("inv_freq").get<std::vector<float>>();
    ASSERT_EQ(t.inv_freq.size(), ref_inv.size());
    // The same fp32 operations as torch; only pow differs (torch's fp32 pow vs a double
    // pow rounded once): a few ulps at most.
    float worst_ulps = 0;
    for (size_t i = 0; i < ref_inv.size(); ++i) {
      EXPECT_FLOAT_EQ(t.inv_freq[i], ref_inv[i]) << "inv_freq[" << i << "]";
      worst_ulps = std::max(worst_ulps, std::fabs(t.inv_freq[i] - ref_inv[i]) / ulp(ref_inv[i]));
    }
    const float af = k.at("attention_scaling").get<float>();
    EXPECT_FLOAT_EQ(t.attention_factor, af);

    // The backend's RoPE op on x = [1,...,1 | 0,...,0] per row gives (cos, sin) * factor.
    const auto positions = k.at("positions").get<std::vector<int32_t>>();
    const int64_t n = int64_t(positions.size()), hd = c.head_dim, half = hd / 2;
    auto x = backend->alloc(n, hd, TensorType::f32);
    auto& cx = cpu::cpu(*x);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t i = 0; i < hd; ++i) cx.row(r)[i] = i < half ? 1.0f : 0.0f;
    auto pos = backend->alloc(n, 1, TensorType::i32);
    backend->write_i32(positions, *pos);
    auto inv = backend->upload(encode_weight("rope.inv_freq", t.inv_freq, 1, half, WeightFormat::f32));
    backend->rmsnorm_rope_heads(*x, nullptr, 0.0f, hd, *pos, *inv, t.attention_factor);
    const auto ref_cos = k.at("cos").get<std::vector<std::vector<float>>>();
    const auto ref_sin = k.at("sin").get<std::vector<std::vector<float>>>();
    double worst = 0;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t i = 0; i < half; ++i) {
        // Angles p * inv_freq differ by p |d inv_freq| plus each side's fp32 rounding
        // (ulp of the angle); cos/sin of torch (<= 1 ulp) and libm (0.5), then the factor's
        // multiply (0.5 each): 4 * 2^-24 of the factor.
        const float p = float(positions[size_t(r)]);
        const double angle_err = double(p) * std::fabs(t.inv_freq[size_t(i)] - ref_inv[size_t(i)]) +
                                 double(ulp(p * ref_inv[size_t(i)]));
        const double bound = std::max(1.0f, af) * (angle_err + 4 * std::ldexp(1.0, -24));
        const double dc = std::fabs(cx.row(r)[i] - ref_cos[size_t(r)][size_t(i)]);
        const double ds = std::fabs(cx.row(r)[i + half] - ref_sin[size_t(r)][size_t(i)]);
        EXPECT_LE(dc, bound) << "cos, position " << p << " pair " << i;
        EXPECT_LE(ds, bound) << "sin, position " << p << " pair " << i;
        worst = std::max({worst, dc, ds});
      }
    std::printf("[ measured ] transformers %s %-16s inv_freq max %.0f ulp, cos/sin max|diff| %.3g over positions up to %d\n",
                GetParam().c_str(), name.c_str(), double(worst_ulps), worst, positions.back());
  }
}

INSTANTIATE_TEST_SUITE_P(Transformers, RopeGolden, ::testing::Values("4.57.6", "5.24.0"),
                         [](const auto& p) { return "v" + std::string(p.param).replace(1, 1, "_").replace(4, 1, "_"); });

// A wrong rope type or a dropped attention factor cannot pass: the goldens tell them apart.
TEST(RopeGolden, GoldensDistinguishTheTypes) {
  const auto g = nlohmann::json::parse(testing::read_file(testing::test_data("rope/transformers-5.24.0.json")));
  std::vector<std::vector<float>> tables;
  for (const auto& k : g.at("cases")) tables.push_back(k.at("inv_freq").get<std::vector<float>>());
  const auto& cases = g.at("cases");
  for (size_t a = 0; a < cases.size(); ++a)
    for (size_t b = a + 1; b < cases.size(); ++b)
      EXPECT_TRUE(tables[a] != tables[b] || cases[a].at("attention_scaling") != cases[b].at("attention_scaling"))
          << cases[a].at("name") << " vs " << cases[b].at("name");
}

}  // namespace
}  // namespace llmrun
