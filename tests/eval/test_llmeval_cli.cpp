// llmeval end to end on stories260k: tables, output files, errors, and a sensitivity
// plan checked on held-out text.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "loaders/safetensors.h"
#include "tests/eval/llmeval_fixture.h"

namespace llmrun {
namespace {

using testing::bin;
using testing::run_command;
namespace fs = std::filesystem;

using testing::Llmeval;

TEST_F(Llmeval, LambadaTableAndFiles) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  LLMRUN_REQUIRE_FIXTURE(data, "lambada/lambada_test.jsonl");
  auto r = llmeval("lambada --model " + dir + " --precisions fp16,int8 --data " + data + " --limit 40 --out " +
                       out_.string() + " 2>/dev/null", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("| fp16"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| int8"), std::string::npos) << r.output;
  const auto j = results();
  ASSERT_EQ(j["rows"].size(), 2u);
  EXPECT_EQ(j["rows"][0]["precision"], "fp16");
  EXPECT_TRUE(j["rows"][1]["accuracy"].is_number());
  EXPECT_TRUE(j["rows"][1]["eval_tokens_per_second"].is_number());
  // int8 paired with fp16 passage by passage: the flips account for the whole difference.
  EXPECT_TRUE(j["rows"][0]["passages_gained"].is_null());
  ASSERT_TRUE(j["rows"][1]["passages_gained"].is_number_integer()) << j.dump();
  const int64_t net = j["rows"][1]["passages_gained"].get<int64_t>() - j["rows"][1]["passages_lost"].get<int64_t>();
  EXPECT_NEAR(net / 40.0, j["rows"][1]["accuracy"].get<double>() - j["rows"][0]["accuracy"].get<double>(), 1e-12);
  EXPECT_GE(j["rows"][1]["delta_accuracy_stderr"].get<double>(), 0.0);
  EXPECT_EQ(j["info"]["bos"], "yes");
  EXPECT_TRUE(fs::exists(out_ / "results.csv"));
  EXPECT_TRUE(fs::exists(out_ / "chart.svg"));
}

TEST_F(Llmeval, LambadaDataErrors) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  LLMRUN_REQUIRE_FIXTURE(data, "lambada/lambada_test.jsonl");
  auto r = llmeval("lambada --model " + dir);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("lambada_test.jsonl"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("4aa8d02c"), std::string::npos) << r.output;
  fs::create_directories(out_);
  const std::string part = (out_ / "part.jsonl").string();
  ASSERT_EQ(std::system(("head -n 5 " + data + " > " + part).c_str()), 0);
  r = llmeval("lambada --model " + dir + " --precisions fp16 --data " + part);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: " + part + " has sha256"), std::string::npos) << r.output;
  std::ofstream(out_ / "bad.jsonl") << "{\"text\": \"fine\"}\nnot json\n";
  r = llmeval("lambada --model " + dir + " --data " + (out_ / "bad.jsonl").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("bad.jsonl:2: expected a JSON object"), std::string::npos) << r.output;
}

// The default precisions' KL, scales from the weights alone (--imatrix none): int8-g32 (7
// significant bits) < fp8-g32 (E4M3) < fp6-e2m3-g32. E4M3 and E2M3 both keep 3 mantissa
// bits; E4M3's wider exponent wins on stories260k by weight error alone (KL 0.0144 vs
// 0.0151), but not with the default probe matrix (0.01430 vs 0.01427).
TEST_F(Llmeval, KldOrdersFormats) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  LLMRUN_REQUIRE_FIXTURE(text, "wikitext2/wiki.test.raw");
  auto r = llmeval("kld --model " + dir + " --file " + text + " --max-tokens 2048 --imatrix none --out " +
                   out_.string() + " 2>/dev/null", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto rows = results()["rows"];
  ASSERT_EQ(rows.size(), 4u);
  const double int8 = rows[1]["mean_kl"], fp8 = rows[2]["mean_kl"], fp6 = rows[3]["mean_kl"];
  EXPECT_LT(int8, fp8);
  EXPECT_LT(fp8, fp6);
  EXPECT_GT(rows[1]["top1_agreement"].get<double>(), rows[3]["top1_agreement"].get<double>());
}

// `llmeval imatrix` on text apart from the scored tokens, then the same KL run with
// --imatrix: the float formats' scales chosen for the measured activations lose less (on
// stories260k fp8 0.0144 -> 0.0118, fp6 0.0151 -> 0.0137); llmrun and quantize take the file
// too, and a missing one is an error naming it.
TEST_F(Llmeval, ImatrixLowersKlOfTheFloatFormats) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  LLMRUN_REQUIRE_FIXTURE(text, "wikitext2/wiki.test.raw");
  fs::create_directories(out_);
  const std::string im = (out_ / "m.safetensors").string();
  auto r = llmeval("imatrix --model " + dir + " --calib " + text + " --skip-tokens 8192 --calib-tokens 2048 --ctx 256 -o " + im);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("36 weights, 2048 calibration tokens"), std::string::npos) << r.output;
  const std::string kld = "kld --model " + dir + " --file " + text + " --max-tokens 2048 --precisions fp8,fp6 --out " +
                          out_.string() + " 2>/dev/null";
  ASSERT_EQ(llmeval(kld, false).exit_code, 0);
  const auto plain = results()["rows"];
  r = llmeval(kld + " --imatrix " + im, false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = results();
  EXPECT_EQ(j["info"]["imatrix"], im);
  ASSERT_EQ(j["rows"].size(), 3u);
  EXPECT_EQ(j["rows"][0]["mean_kl"], plain[0]["mean_kl"]) << "the baseline takes no importance";
  EXPECT_LT(j["rows"][1]["mean_kl"].get<double>(), plain[1]["mean_kl"].get<double>()) << "fp8";
  EXPECT_LT(j["rows"][2]["mean_kl"].get<double>(), plain[2]["mean_kl"].get<double>()) << "fp6";

  r = run_command(bin("llmrun") + " --model " + dir + " --precision fp6 --imatrix " + im +
                  " -p Once -n 4 --temp 0 --verbose");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = run_command(bin("llmrun") + " quantize --model " + dir + " --precision fp6 --imatrix " + im + " -o " +
                  (out_ / "q").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("importance-weighted scales: 35 tensors"), std::string::npos) << r.output;
  r = run_command(bin("llmrun") + " --model " + dir + " --precision fp6 --imatrix " + (out_ / "none").string() + " -p Once");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find((out_ / "none").string()), std::string::npos) << r.output;
}

// Without text: `llmeval imatrix --self-sampled` and `--imatrix self` let the model sample
// its own calibration text; the matrix still lowers the float formats' KL on WikiText-2,
// and `self` is measured once per checkpoint, then read from the cache.
TEST_F(Llmeval, SelfSampledImatrixNeedsNoText) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  LLMRUN_REQUIRE_FIXTURE(text, "wikitext2/wiki.test.raw");
  fs::create_directories(out_);
  const std::string im = (out_ / "self.safetensors").string();
  auto r = llmeval("imatrix --model " + dir + " --self-sampled --calib-tokens 1024 --ctx 256 --seed 3 -o " + im);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("36 weights, 1024 calibration tokens"), std::string::npos) << r.output;
  const auto file = SafetensorsFile::open(im);
  EXPECT_EQ(file->metadata().at("llmrun.calibration").rfind("self-sampled: 1024 tokens", 0), 0u);
  r = llmeval("imatrix --model " + dir + " --self-sampled --calib " + text + " -o " + im);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--calib excludes --self-sampled"), std::string::npos) << r.output;

  const std::string env = "XDG_CACHE_HOME=" + (out_ / "cache").string() + " ";
  const std::string kld = "kld --model " + dir + " --file " + text + " --max-tokens 2048 --precisions fp6 --out " +
                          out_.string();
  ASSERT_EQ(llmeval(kld + " --imatrix none 2>/dev/null", false).exit_code, 0);
  const double plain = results()["rows"][1]["mean_kl"];
  r = run_command(env + bin("llmeval") + " " + kld + " --imatrix self");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--imatrix self: sampling 1024 tokens"), std::string::npos) << r.output;
  EXPECT_LT(results()["rows"][1]["mean_kl"].get<double>(), plain) << r.output;
  r = run_command(env + bin("llmrun") + " --model " + dir + " --precision fp6 --imatrix self -p Once -n 4 --temp 0");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--imatrix self: using the cached"), std::string::npos) << r.output;
  // A quantized checkpoint is refused before any sampling.
  r = run_command(bin("llmrun") + " quantize --model " + dir + " --precision int8 -o " + (out_ / "q").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_command(env + bin("llmrun") + " --model " + (out_ / "q").string() + " --imatrix self -p Once -n 1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("is already quantized; --imatrix applies to original checkpoints only"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("sampling"), std::string::npos) << r.output;
}

// --imatrix probe: one pass over random ids, measured once per checkpoint, then cached for
// every command; it lowers fp6's KL on real text as a matrix from text does.
TEST_F(Llmeval, ProbeImatrixNeedsNoText) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  LLMRUN_REQUIRE_FIXTURE(text, "wikitext2/wiki.test.raw");
  fs::create_directories(out_);
  const std::string env = "XDG_CACHE_HOME=" + (out_ / "cache").string() + " ";
  const std::string kld = "kld --model " + dir + " --file " + text + " --max-tokens 2048 --precisions fp6 --out " +
                          out_.string();
  ASSERT_EQ(llmeval(kld + " --imatrix none 2>/dev/null", false).exit_code, 0);
  const double plain = results()["rows"][1]["mean_kl"];
  auto r = run_command(env + bin("llmeval") + " " + kld + " --imatrix probe");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--imatrix probe: running the model over 512 random token ids"), std::string::npos)
      << r.output;
  EXPECT_LT(results()["rows"][1]["mean_kl"].get<double>(), plain) << r.output;
  const fs::path q = out_ / "q";
  r = run_command(env + bin("llmrun") + " quantize --model " + dir + " --precision fp6 --imatrix probe -o " + q.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--imatrix probe: using the cached"), std::string::npos) << r.output;
  r = run_command(env + bin("llmrun") + " --model " + q.string() + " --imatrix probe -p Once -n 1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--imatrix probe: " + q.string() + " is already quantized"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("random token ids"), std::string::npos) << r.output;
}

// The default --imatrix auto: the probe wherever a precision uses a group-scaled format of
// an original checkpoint (the same numbers as --imatrix probe), nothing otherwise -- a
// 16-bit run or a quantized checkpoint measures nothing and is not refused.
TEST_F(Llmeval, DefaultImatrixIsTheProbeWhereItWeighs) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  LLMRUN_REQUIRE_FIXTURE(text, "wikitext2/wiki.test.raw");
  fs::create_directories(out_);
  const std::string env = "XDG_CACHE_HOME=" + (out_ / "cache").string() + " ";
  const std::string kld = "kld --model " + dir + " --file " + text + " --max-tokens 1024 --out " + out_.string();
  auto r = run_command(env + bin("llmeval") + " " + kld + " --precisions fp6,int8-row");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--imatrix probe: running the model over 512 random token ids"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("loaded fp6 in"), std::string::npos);
  const nlohmann::json by_default = results();
  EXPECT_EQ(by_default["info"]["imatrix"], "auto");
  r = run_command(env + bin("llmeval") + " " + kld + " --precisions fp6,int8-row --imatrix probe");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(results()["rows"][1]["mean_kl"], by_default["rows"][1]["mean_kl"]);
  EXPECT_EQ(results()["rows"][2]["mean_kl"], by_default["rows"][2]["mean_kl"]);
  // Per-row int8 has no weighted search: weighed or not, the same file.
  r = run_command(env + bin("llmrun") + " quantize --model " + dir + " --precision int8-row -o " + (out_ / "r").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_command(env + bin("llmrun") + " quantize --model " + dir + " --precision int8-row --imatrix none -o " +
                  (out_ / "r2").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(testing::read_file((out_ / "r" / "model.safetensors").string()),
            testing::read_file((out_ / "r2" / "model.safetensors").string()));

  const std::string fresh = "XDG_CACHE_HOME=" + (out_ / "cache2").string() + " ";
  r = run_command(fresh + bin("llmeval") + " " + kld + " --precisions int8-row");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("--imatrix"), std::string::npos) << r.output;
  r = run_command(fresh + bin("llmrun") + " --model " + (out_ / "r").string() + " -p Once -n 1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("--imatrix"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out_ / "cache2"));
}

// llmeval logits loads a precision as llmrun does: with the default --imatrix auto the
// probe weighs fp6's scales (scripts/compare_llamacpp.sh scores these logits as "the
// default"), and --imatrix none gives the data-free encoding.
TEST_F(Llmeval, LogitsWeighLikeLlmrunByDefault) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  fs::create_directories(out_);
  const std::string env = "XDG_CACHE_HOME=" + (out_ / "cache").string() + " ";
  const std::string logits = env + bin("llmeval") + " logits --model " + dir + " --ids 1,403,407,261,301 --precision fp6";
  std::map<std::string, std::string> bytes;
  for (const std::string flag : {"", " --imatrix probe", " --imatrix none"}) {
    const fs::path out = out_ / ("logits" + std::to_string(bytes.size()));
    auto r = run_command(logits + flag + " --out " + out.string());
    ASSERT_EQ(r.exit_code, 0) << flag << ": " << r.output;
    bytes[flag] = testing::read_file(out.string());
    ASSERT_EQ(bytes[flag].size(), 5 * 512 * sizeof(float)) << flag;
  }
  EXPECT_EQ(bytes[""], bytes[" --imatrix probe"]);
  EXPECT_NE(bytes[""], bytes[" --imatrix none"]);
}

// --score-from scores each window's later positions only (as llama-perplexity does), and
// --reference-points puts another runtime's points into pareto.svg beside ours.
TEST_F(Llmeval, KldScoresFromAPositionAndDrawsReferencePoints) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  const std::string common = "kld --model " + dir + " --random-tokens 512 --ctx 128 --precisions int8 --out " + out_.string();
  auto r = llmeval(common + " 2>/dev/null", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const double all_positions = results()["rows"][1]["mean_kl"];
  const std::string csv = (out_ / "points.csv").string();
  std::ofstream(csv) << "label,bits_per_weight,mean_kl\nQ8_0,8.5,0.004\nQ4_K_M,5.2,0.05\n";
  r = llmeval(common + " --score-from 64 --reference-points " + csv + " --reference-label llama.cpp 2>/dev/null", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto report = results();
  EXPECT_NE(report["info"]["settings"].get<std::string>().find("scored from position 64"), std::string::npos);
  const double later_positions = report["rows"][1]["mean_kl"];
  EXPECT_GT(later_positions, 0);
  EXPECT_NE(later_positions, all_positions);
  const std::string svg = testing::read_file((out_ / "pareto.svg").string());
  EXPECT_NE(svg.find("data-precision=\"Q4_K_M\""), std::string::npos);
  EXPECT_NE(svg.find("data-precision=\"int8\""), std::string::npos);
  EXPECT_NE(svg.find(">llama.cpp<"), std::string::npos);
  r = llmeval(common + " --score-from 127");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--score-from must be in [0, 126] for windows of 128 tokens, got 127"), std::string::npos)
      << r.output;
}

TEST_F(Llmeval, BenchAndHw) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  auto r = llmeval("bench --model " + dir + " --precisions fp16,fp8 --prompt-len 16 --gen-len 8 --reps 2 --out " +
                   out_.string() + " 2>/dev/null", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto rows = results()["rows"];
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_GT(row["decode_tokens_per_second"].get<double>(), 0);
    EXPECT_GT(row["prefill_tokens_per_second"].get<double>(), 0);
    EXPECT_GT(row["peak_rss_bytes"].get<double>(), 0);
  }
  r = llmeval("hw");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("CPU:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fp8-g32:"), std::string::npos) << r.output;
}

TEST_F(Llmeval, BadFlags) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  auto r = llmeval("kld --model " + dir + " --file x --precisions fp16,fp5");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--precisions: unknown precision 'fp5'"), std::string::npos) << r.output;
  r = llmeval("sensitivity --model " + dir + " --calib x");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("exactly one budget"), std::string::npos) << r.output;
  r = llmeval("perplexity --model " + dir + " --file /nonexistent.txt");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("/nonexistent.txt: cannot open"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace llmrun
