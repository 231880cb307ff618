// llmeval sensitivity on stories260k: a plan checked on held-out text (slow: 200+
// forward passes).
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "tests/eval/llmeval_fixture.h"

namespace llmrun {
namespace {

using testing::bin;
using testing::run_command;
namespace fs = std::filesystem;

using testing::Llmeval;

// The plan keeps its promise on text it was not made from.
TEST_F(Llmeval, SensitivityPlanMeetsBudgetAndBeatsUniform) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  LLMRUN_REQUIRE_FIXTURE(text, "wikitext2/wiki.test.raw");
  fs::create_directories(out_);
  const std::string common = "sensitivity --model " + dir + " --calib " + text +
                             " --calib-tokens 1024 --holdout-tokens 1024 ";
  // A KL budget between int8's and fp8's.
  const double budget = 0.01;
  auto r = llmeval(common + "--max-kl " + std::to_string(budget) + " --plan " + (out_ / "plan.json").string() +
                   " --out " + out_.string() + " 2>/dev/null", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto rows = results()["rows"];  // fp16, @plan and the 5 default candidates on the held-out text
  ASSERT_EQ(rows.size(), 7u);
  const double plan_kl = rows[1]["mean_kl"];
  EXPECT_LE(plan_kl, budget) << r.output;
  EXPECT_TRUE(fs::exists(out_ / "sensitivity-int8-g32.svg") || fs::exists(out_ / "sensitivity.svg"));
  const auto plan = nlohmann::json::parse(testing::read_file((out_ / "plan.json").string()));
  EXPECT_EQ(plan["tensors"].size(), 36u);  // the embedding (tied to the head), 5 layers x 7 projections
  EXPECT_TRUE(plan["tensors"].contains("model.embed_tokens.weight"));
  for (const auto& grid : results()["sensitivity"]) {
    ASSERT_TRUE(grid.contains("tensors")) << grid["format"];
    EXPECT_GT(grid["tensors"]["model.embed_tokens.weight"].get<double>(), 0.0) << grid["format"];
  }

  // Another budget from the same measurements: no forward pass over the calibration text
  // (--holdout-tokens 0 skips the check too), the predicted KL read back from the grids.
  fs::copy_file(out_ / "results.json", out_ / "measured.json", fs::copy_options::overwrite_existing);
  const std::string measured = " --measured " + (out_ / "measured.json").string();
  r = llmeval("sensitivity --model " + dir + " --calib " + text + " --calib-tokens 1024 --holdout-tokens 0 --bits 7" +
                  measured + " --plan " + (out_ / "plan7.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("re-planning from the measurements in"), std::string::npos) << r.output;
  const auto plan7 = nlohmann::json::parse(testing::read_file((out_ / "plan7.json").string()));
  EXPECT_EQ(plan7["tensors"].size(), 36u);
  EXPECT_NE(plan7["comment"].get<std::string>().find("bits/weight"), std::string::npos);
  // Measurements from other calibration settings are refused, naming the flag.
  r = llmeval("sensitivity --model " + dir + " --calib " + text + " --calib-tokens 512 --bits 7" + measured);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--calib-tokens"), std::string::npos) << r.output;

  // Uniform per-row fp8 costs 8 bits + an fp32 scale per row (~8.45 bits here): a plan of
  // at most 8.4 bits per planned weight from per-row fp6/fp8 and fp16 must be smaller and
  // better than fp8-row over the same tensors (the embedding included).
  r = llmeval(common + "--bits 8.4 --candidates fp8-row,fp6-e3m2 --plan " + (out_ / "plan8.json").string() + " --out " +
                  out_.string() + " 2>/dev/null", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  rows = results()["rows"];  // fp16, @plan8, fp8-row +emb, fp6-e3m2 +emb
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[2]["precision"], "mixed:attn=fp8-row,mlp=fp8-row,embed=fp8-row");
  EXPECT_LE(rows[1]["weight_bytes"].get<int64_t>(), rows[2]["weight_bytes"].get<int64_t>()) << r.output;
  EXPECT_LT(rows[1]["mean_kl"].get<double>(), rows[2]["mean_kl"].get<double>()) << r.output;
}

}  // namespace
}  // namespace llmrun

namespace llmrun {
namespace {

// --precision auto:max-kl=X measures once, caches the plan, and reuses it.
TEST(AutoPrecision, MeasuresOnceThenReusesThePlan) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  LLMRUN_REQUIRE_FIXTURE(text, "wikitext2/wiki.test.raw");
  const fs::path tmp = fs::path(::testing::TempDir()) / ("llmrun_auto_" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp / "data");
  // A short calibration text keeps the measurement quick.
  std::ofstream(tmp / "data" / "wiki.test.raw") << testing::read_file(text).substr(0, 3000);
  const std::string env = "XDG_CACHE_HOME=" + (tmp / "cache").string() + " LLMRUN_DATA=" + (tmp / "data").string() + " ";
  const std::string cmd = env + bin("llmrun") + " --model " + dir + " --precision auto:max-kl=0.01 -p 'Once upon' -n 5 --temp 0";
  auto first = run_command(cmd);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("measuring per-tensor sensitivity"), std::string::npos) << first.output;
  auto second = run_command(cmd);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("using the cached plan"), std::string::npos) << second.output;
  // With an importance matrix the plan is measured as --imatrix encodes, and cached apart.
  const std::string im = (tmp / "m.imatrix").string();
  auto made = run_command(bin("llmeval") + " imatrix --model " + dir + " --calib " + (tmp / "data" / "wiki.test.raw").string() +
                          " --calib-tokens 256 --ctx 128 -o " + im);
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto weighted = run_command(cmd + " --imatrix " + im);
  ASSERT_EQ(weighted.exit_code, 0) << weighted.output;
  EXPECT_NE(weighted.output.find("measuring per-tensor sensitivity"), std::string::npos) << weighted.output;
  weighted = run_command(cmd + " --imatrix " + im);
  ASSERT_EQ(weighted.exit_code, 0) << weighted.output;
  EXPECT_NE(weighted.output.find("using the cached plan"), std::string::npos) << weighted.output;
  // The cache is keyed by the checkpoint's content: a copy elsewhere reuses the plan, the
  // same files with one weight changed are measured anew.
  const fs::path copy = tmp / "copy";
  fs::copy(dir, copy, fs::copy_options::recursive);
  const std::string copy_cmd = env + bin("llmrun") + " --model " + copy.string() +
                               " --precision auto:max-kl=0.01 -p 'Once upon' -n 5 --temp 0";
  auto moved = run_command(copy_cmd);
  ASSERT_EQ(moved.exit_code, 0) << moved.output;
  EXPECT_NE(moved.output.find("using the cached plan"), std::string::npos) << moved.output;
  {
    std::fstream f(copy / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const std::streamoff last = f.tellg() - std::streamoff(2);  // high byte of the last fp32 weight
    f.seekg(last);
    char c = 0;
    f.read(&c, 1);
    c = char(c ^ 0x01);
    f.seekp(last);
    f.write(&c, 1);
  }
  auto changed = run_command(copy_cmd);
  ASSERT_EQ(changed.exit_code, 0) << changed.output;
  EXPECT_NE(changed.output.find("measuring per-tensor sensitivity"), std::string::npos) << changed.output;
  auto bad = run_command(env + bin("llmrun") + " --model " + dir + " --precision auto:max-kl=abc -p x");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("'abc' is not a positive number"), std::string::npos) << bad.output;
  auto no_data = run_command("XDG_CACHE_HOME=" + (tmp / "cache2").string() + " env -u LLMRUN_DATA " + bin("llmrun") +
                             " --model " + dir + " --precision auto:bits=7 -p x");
  EXPECT_EQ(no_data.exit_code, 1) << no_data.output;
  EXPECT_NE(no_data.output.find("needs calibration text"), std::string::npos) << no_data.output;
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace llmrun
