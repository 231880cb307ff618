// --precision / --tensor-precision resolution per tensor.
#include <cstdio>
#include <fstream>

#include "runtime/error.h"
#include "runtime/precision_policy.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

const std::string kQ = "model.layers.0.self_attn.q_proj.weight";
const std::string kO = "model.layers.1.self_attn.o_proj.weight";
const std::string kDown = "model.layers.1.mlp.down_proj.weight";
const std::string kUp = "model.layers.0.mlp.up_proj.weight";
constexpr WeightFormat kBase = WeightFormat::bf16;

WeightFormat f(const PrecisionPolicy& p, const std::string& name, WeightRole role = WeightRole::linear) {
  return p.format_for(name, role, kBase);
}

std::string error_of(const std::string& spec, const std::vector<std::string>& overrides = {}) {
  try {
    PrecisionPolicy::parse(spec, overrides);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(PrecisionPolicy, AutoKeepsBaselineAndVectorsAreFp32) {
  const auto p = PrecisionPolicy::parse("auto");
  EXPECT_EQ(f(p, kQ), kBase);
  EXPECT_EQ(f(p, "model.embed_tokens.weight", WeightRole::embedding), kBase);
  EXPECT_EQ(f(p, "model.norm.weight", WeightRole::vector), WeightFormat::f32);
}

TEST(PrecisionPolicy, UniformFormatLeavesEmbeddingAndHeadAtBaseline) {
  const auto p = PrecisionPolicy::parse("fp6-e3m2");
  EXPECT_EQ(f(p, kQ), WeightFormat::fp6_e3m2);
  EXPECT_EQ(f(p, kDown), WeightFormat::fp6_e3m2);
  EXPECT_EQ(f(p, "model.embed_tokens.weight", WeightRole::embedding), kBase);
  EXPECT_EQ(f(p, "lm_head.weight", WeightRole::lm_head), kBase);
  EXPECT_EQ(f(p, "model.layers.0.self_attn.q_proj.bias", WeightRole::vector), WeightFormat::f32);
}

TEST(PrecisionPolicy, MixedGroupsAndProjections) {
  const auto p = PrecisionPolicy::parse("mixed:attn=fp8-row,mlp=fp6-e3m2,down=int8-row,embed=fp16,lm_head=fp8-row");
  EXPECT_EQ(f(p, kQ), WeightFormat::fp8_e4m3);
  EXPECT_EQ(f(p, kO), WeightFormat::fp8_e4m3);
  EXPECT_EQ(f(p, kUp), WeightFormat::fp6_e3m2);
  EXPECT_EQ(f(p, kDown), WeightFormat::int8);  // the later, narrower key wins
  EXPECT_EQ(f(p, "model.embed_tokens.weight", WeightRole::embedding), WeightFormat::f16);
  EXPECT_EQ(f(p, "lm_head.weight", WeightRole::lm_head), WeightFormat::fp8_e4m3);
}

TEST(PrecisionPolicy, RegexOverridesLastMatchWins) {
  const auto p = PrecisionPolicy::parse("fp6-e3m2", {"layers\\.(0|1)\\..*=fp16", "mlp\\.down_proj=int8-row"});
  EXPECT_EQ(f(p, kQ), WeightFormat::f16);
  EXPECT_EQ(f(p, kDown), WeightFormat::int8);
  EXPECT_EQ(f(p, "model.layers.2.self_attn.q_proj.weight"), WeightFormat::fp6_e3m2);
}

TEST(PrecisionPolicy, WidthNamesAreAliasesOfTheChosenVariants) {
  // The decision documented in docs/ACCURACY.md: the group-scaled variant of each width.
  EXPECT_EQ(f(PrecisionPolicy::parse("int8"), kQ), WeightFormat::int8_g32);
  EXPECT_EQ(f(PrecisionPolicy::parse("fp8"), kQ), WeightFormat::fp8_g32);
  EXPECT_EQ(f(PrecisionPolicy::parse("fp6"), kQ), WeightFormat::fp6_e2m3_g32);
  const auto mixed = PrecisionPolicy::parse("mixed:attn=fp8,mlp=int8-row");
  EXPECT_EQ(f(mixed, kQ), WeightFormat::fp8_g32);
  EXPECT_EQ(f(mixed, kDown), WeightFormat::int8);
}

TEST(PrecisionPolicy, PlanFileRoundTrip) {
  const std::string path = ::testing::TempDir() + "llmrun_plan.json";
  write_precision_plan(path, {{kQ, WeightFormat::f16}, {kDown, WeightFormat::int8}}, WeightFormat::fp6_e3m2, "test");
  const auto p = PrecisionPolicy::parse("@" + path);
  EXPECT_EQ(f(p, kQ), WeightFormat::f16);
  EXPECT_EQ(f(p, kDown), WeightFormat::int8);
  EXPECT_EQ(f(p, kUp), WeightFormat::fp6_e3m2);
  EXPECT_EQ(f(p, "model.embed_tokens.weight", WeightRole::embedding), kBase);
  std::remove(path.c_str());
}

TEST(PrecisionPolicy, BadSpecsNameTheFlag) {
  EXPECT_NE(error_of("fp4").find("--precision: unknown precision 'fp4'"), std::string::npos) << error_of("fp4");
  EXPECT_NE(error_of("mixed:attention=fp8").find("unknown group 'attention'"), std::string::npos);
  EXPECT_NE(error_of("mixed:attn").find("'attn' is not KEY=FORMAT"), std::string::npos);
  EXPECT_NE(error_of("mixed:attn=fp9").find("unknown precision 'fp9'"), std::string::npos);
  EXPECT_NE(error_of("@/nonexistent/plan.json").find("cannot open /nonexistent/plan.json"), std::string::npos);
  EXPECT_NE(error_of("fp8", {"(=fp16"}).find("bad regular expression"), std::string::npos);
  EXPECT_NE(error_of("fp8", {"layers"}).find("expected REGEX=FORMAT"), std::string::npos);
  const std::string bad = ::testing::TempDir() + "llmrun_bad_plan.json";
  std::ofstream(bad) << "{\"tensors\": {\"x\": 3}}";
  EXPECT_NE(error_of("@" + bad).find("tensor x: format must be a string"), std::string::npos);
  std::remove(bad.c_str());
}

}  // namespace
}  // namespace llmrun
