// The GPU check's report (bench/gpu_check): recorded fake results.json files render to
// exactly the committed tables, and a work folder as gpu-check.sh writes it collects into
// the results.json those tables are made from.
//
// The fakes (tests/gpu_check/data/*.results.json) hold invented numbers, chosen so that the
// targets land on both sides (and one exactly on its boundary):
//   full             everything ran. fp16 decode at ctx 128: 440 tok/s x (8045328384 weight
//                    bytes + 147456 KV bytes/position x 192 mean positions) = 3552 GB/s =
//                    82.6% of 4300 (pass); int8+head 844.8 = 1.92x (pass); fp8+head
//                    800.8 = 1.82x (fail); fp6+head 1056 = 2.40x, exactly the target (pass);
//                    prefill 512 fp16 56000 tok/s x 2 x 3633315840 linear weights = 406.9
//                    TFLOP/s = 66.4% of 612.4 (pass); sampling 1e6/432.1 - 1e6/440.2 =
//                    42.6 us (pass); greedy fp16 differs from token 40 (fail); qwen2-tiny
//                    logits NaN where the CPU's are finite (fail)
//   failed_stages    failing and timed-out conformance binaries, memcheck errors, racecheck
//                    timed out, CUDA refusing the model, a bench run failed, one timed out,
//                    one skipped, the peer skipped: n/a rows name the stage and its message
//   missing_numbers  no GPU line, no ceilings (their stage failed), no model config, no
//                    conformance or sanitizer run, a short CUDA id list, logits of different
//                    sizes, bench rows without numbers, half a sampling pair, a peer without
//                    numbers: every row still there, n/a with the reason
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "bench/gpu_check/gpu_check.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json read_json(const std::string& path) {
  const std::string text = testing::read_file(path);
  EXPECT_FALSE(text.empty()) << path;
  return json::parse(text);
}

std::string data(const std::string& name) { return std::string(GPU_CHECK_DATA) + "/" + name; }

size_t count_lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

// The fixed rows: GPU, 2 ceilings, conformance, 2 sanitizers, 2 greedy, 3 logits, 7 decode
// at 128, 4 prefill, 4 decode at 4096, sampling, peer, time; plus the 2 header lines.
constexpr size_t kFullTableLines = 2 + 1 + 2 + 1 + 2 + 2 + 3 + 7 + 4 + 4 + 1 + 1 + 1;

TEST(GpuCheckReport, FullRunTableIsExact) {
  const std::string table = gpu_check::summary_table(read_json(data("full.results.json")));
  EXPECT_EQ(table, testing::read_file(data("full.summary.md")));
  EXPECT_EQ(count_lines(table), kFullTableLines);
}

TEST(GpuCheckReport, FailedAndTimedOutStagesAreRowsThatSayWhy) {
  const std::string table = gpu_check::summary_table(read_json(data("failed_stages.results.json")));
  EXPECT_EQ(table, testing::read_file(data("failed_stages.summary.md")));
  EXPECT_EQ(count_lines(table), kFullTableLines);
}

TEST(GpuCheckReport, MissingNumbersAreNotApplicableWithTheReason) {
  const std::string table = gpu_check::summary_table(read_json(data("missing_numbers.results.json")));
  EXPECT_EQ(table, testing::read_file(data("missing_numbers.summary.md")));
  // One greedy precision and one logits model in this fake.
  EXPECT_EQ(count_lines(table), kFullTableLines - 1 - 2);
}

TEST(GpuCheckReport, OtherJsonIsAnError) {
  EXPECT_THROW(gpu_check::summary_table(json::parse(R"({"task": "bench"})")), std::runtime_error);
  EXPECT_THROW(gpu_check::summary_table(json::array()), std::runtime_error);
}

// --- collect(): a work folder as gpu-check.sh writes it ---------------------------------

class WorkFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("gpu_check_work_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    for (const char* sub : {"stages", "logs", "conformance", "greedy", "logits", "bench/fp16_128", "model"})
      fs::create_directories(dir_ / sub);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ / rel, std::ios::binary) << text;
  }
  void write_f32(const std::string& rel, const std::vector<float>& v) {
    std::ofstream(dir_ / rel, std::ios::binary).write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * 4));
  }
  // One stage record, as run_stage writes it.
  void stage(const std::string& name, const std::string& kind, int rc, bool timed_out, const std::string& extra,
             const std::string& log_text, const std::string& skipped = "") {
    const std::string log = "logs/" + std::regex_replace(name, std::regex("/"), "_") + ".log";
    char num[16];
    std::snprintf(num, sizeof num, "%03d", ++n_);
    write("stages/" + std::string(num) + ".json",
          "{\"name\": \"" + name + "\", \"kind\": \"" + kind + "\", \"rc\": " + std::to_string(rc) +
              ", \"seconds\": 1.50, \"limit_s\": 60, \"timed_out\": " + (timed_out ? "true" : "false") +
              ", \"log\": \"" + log + "\"" + extra + (skipped.empty() ? "" : ", \"skipped\": \"" + skipped + "\"") +
              "}\n");
    if (!log_text.empty()) write(log, log_text);
  }

  fs::path dir_;
  int n_ = 0;
};

TEST_F(WorkFolder, CollectReadsEveryKindOfStage) {
  write("env.txt", "gpu_name=NVIDIA H200\ndriver=580.159.04\nmemory_total_mib=143771\ncompute_cap=9.0\nbudget_s=470\n"
                   "elapsed_s=321\n");
  write("ceilings.json", R"({"d2d_copy_gbps": 4300.5, "cublaslt_bf16_tflops": 600.25})");
  stage("ceilings", "ceilings", 0, false, R"(, "output": "ceilings.json", "source": "bench_gpu_ceilings")", "");
  // gtest's JSON: 3 tests, one failed, one skipped.
  write("conformance/test_cuda_ops.json", R"({"tests": 3, "failures": 1, "disabled": 0, "errors": 0, "testsuites": [
    {"name": "Cuda", "testsuite": [{"name": "A", "result": "COMPLETED"}, {"name": "B", "result": "SKIPPED"},
                                   {"name": "C", "result": "COMPLETED", "failures": [{"failure": "x"}]}]}]})");
  stage("conformance/test_cuda_ops", "conformance", 1, false,
        R"(, "binary": "test_cuda_ops", "output": "conformance/test_cuda_ops.json")",
        "[ RUN      ] Cuda.C\ntests/cuda/x.cpp:12: Failure\n[  FAILED  ] Cuda.C (1 ms)\n");
  stage("memcheck", "sanitizer", 0, false, R"(, "tool": "memcheck")",
        "========= COMPUTE-SANITIZER\n1 2 3\n========= ERROR SUMMARY: 0 errors\n");
  stage("racecheck", "sanitizer", 124, true, R"(, "tool": "racecheck")", "========= COMPUTE-SANITIZER\n");
  write("greedy/auto_cpu.ids", "5 6 7 8\n");
  write("greedy/auto_cuda.ids", "5 6 9 8\n");
  stage("greedy/auto/cpu", "greedy", 0, false,
        R"(, "precision": "auto", "device": "cpu", "tokens": 4, "output": "greedy/auto_cpu.ids")", "loaded\n");
  stage("greedy/auto/cuda", "greedy", 0, false,
        R"(, "precision": "auto", "device": "cuda", "tokens": 4, "output": "greedy/auto_cuda.ids")", "loaded\n");
  write_f32("logits/m_cpu.f32", {1.0f, -4.0f, 2.0f});
  write_f32("logits/m_cuda.f32", {1.5f, -4.0f, 2.0f});
  write_f32("logits/n_cpu.f32", {1.0f, 2.0f});
  write_f32("logits/n_cuda.f32", {1.0f, NAN});
  for (const char* m : {"m", "n"})
    for (const char* d : {"cpu", "cuda"})
      stage(std::string("logits/") + m + "/" + d, "logits", 0, false,
            std::string(", \"model\": \"") + m + "\", \"device\": \"" + d + "\", \"output\": \"logits/" + m + "_" + d +
                ".f32\"",
            "");
  write("model/config.json", R"({"hidden_size": 2560, "num_hidden_layers": 36})");
  stage("random_model", "random_model", 0, false, ", \"model_dir\": \"" + (dir_ / "model").string() + "\"", "");
  write("bench/fp16_128/results.json", R"({"task": "bench", "rows": [{"precision": "fp16", "weight_bytes": 100,
    "decode_tokens_per_second": 50.5, "prefill_tokens_per_second": null}]})");
  write("bench/fp16_128.mem", "1000\n1000\n9000\n8500\n");
  stage("bench/fp16/128", "bench", 0, false,
        R"(, "label": "fp16", "precision": "fp16", "prompt_len": 128, "gen_len": 128, "output": "bench/fp16_128/results.json", "gpu_memory": "bench/fp16_128.mem")",
        "");
  stage("bench/fp6/128", "bench", 1, false,
        R"(, "label": "fp6", "precision": "fp6", "prompt_len": 128, "gen_len": 128, "output": "bench/fp6_128/results.json", "gpu_memory": "bench/fp6_128.mem")",
        "llmeval: loaded\nllmeval: error: --device cuda: fp6 | not yet\n");
  stage("sampling/greedy", "sampling", 0, false, R"(, "mode": "greedy")",
        "llmrun: load 1.00 s | prompt 1 tok at 10.0 tok/s | generated 256 tok at 400.0 tok/s | time to first token 2.0 ms\n");
  stage("sampling/sampled", "sampling", 0, false, R"(, "mode": "sampled")",
        "llmrun: load 1.00 s | prompt 1 tok at 10.0 tok/s | generated 256 tok at 390.0 tok/s | time to first token 2.0 ms\n");
  stage("peer", "peer", -1, false, R"(, "output": "peer.json")", "", "no time left in the 470 s budget");

  const nlohmann::ordered_json r = gpu_check::collect(dir_.string());
  EXPECT_EQ(r["schema"], "llmrun-gpu-check/1");
  EXPECT_EQ(r["gpu"]["name"], "NVIDIA H200");
  EXPECT_EQ(r["gpu"]["memory_total_mib"], 143771);
  EXPECT_EQ(r["env"]["elapsed_s"], "321");
  EXPECT_DOUBLE_EQ(r["ceilings"]["d2d_copy_gbps"].get<double>(), 4300.5);
  EXPECT_EQ(r["ceilings"]["source"], "bench_gpu_ceilings");

  ASSERT_EQ(r["stages"].size(), 16u);
  EXPECT_EQ(r["stages"][1]["status"], "fail");
  EXPECT_EQ(r["stages"][1]["message"], "[  FAILED  ] Cuda.C (1 ms)");
  EXPECT_EQ(r["stages"][3]["status"], "timeout");
  EXPECT_EQ(r["stages"][3]["message"], "stopped after 60 s: COMPUTE-SANITIZER");
  EXPECT_EQ(r["stages"].back()["status"], "skipped");
  EXPECT_EQ(r["stages"].back()["message"], "no time left in the 470 s budget");

  ASSERT_EQ(r["conformance"].size(), 1u);
  EXPECT_EQ(r["conformance"][0]["tests"], 3);
  EXPECT_EQ(r["conformance"][0]["failed"], 1);
  EXPECT_EQ(r["conformance"][0]["skipped"], 1);
  EXPECT_EQ(r["conformance"][0]["passed"], 1);

  EXPECT_EQ(r["sanitizer"]["memcheck"]["count"], 0);
  EXPECT_EQ(r["sanitizer"]["memcheck"]["summary"], "ERROR SUMMARY: 0 errors");
  EXPECT_FALSE(r["sanitizer"]["racecheck"].contains("count"));

  ASSERT_EQ(r["greedy"].size(), 1u);
  EXPECT_EQ(r["greedy"][0]["equal_prefix"], 2);
  EXPECT_EQ(r["greedy"][0]["cuda"].get<std::vector<int64_t>>(), (std::vector<int64_t>{5, 6, 9, 8}));

  ASSERT_EQ(r["logits"].size(), 2u);
  EXPECT_DOUBLE_EQ(r["logits"][0]["max_abs_diff"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r["logits"][0]["max_abs_ref"].get<double>(), 4.0);
  EXPECT_EQ(r["logits"][1]["all_finite"], false);  // NaN where the CPU is finite
  EXPECT_TRUE(r["logits"][1]["max_abs_diff"].is_null());

  EXPECT_EQ(r["model_config"]["hidden_size"], 2560);
  ASSERT_EQ(r["bench"].size(), 2u);
  EXPECT_DOUBLE_EQ(r["bench"][0]["row"]["decode_tokens_per_second"].get<double>(), 50.5);
  EXPECT_EQ(r["bench"][0]["gpu_memory_peak_mib"], 8000);  // 9000 - the 1000 before the run
  EXPECT_TRUE(r["bench"][1]["row"].is_null());
  EXPECT_EQ(r["stages"][12]["message"], "llmeval: error: --device cuda: fp6 | not yet");

  EXPECT_NEAR(r["sampling"]["us_per_token"].get<double>(), 1e6 / 390.0 - 1e6 / 400.0, 1e-9);
  EXPECT_TRUE(r["peer"].is_null());

  // And the table from it: the rows that have numbers, the rest n/a with the stage's words.
  const std::string table = gpu_check::summary_table(json::parse(r.dump()));
  EXPECT_NE(table.find("| CUDA conformance | fail | 1 binary: 1 passed, 1 failed, 1 skipped · conformance/test_cuda_ops "
                       "failed (rc 1): [  FAILED  ] Cuda.C (1 ms) | all pass |"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| compute-sanitizer memcheck | pass | ERROR SUMMARY: 0 errors | 0 errors |"), std::string::npos)
      << table;
  EXPECT_NE(table.find("| compute-sanitizer racecheck | timeout | racecheck timed out: stopped after 60 s: "
                       "COMPUTE-SANITIZER | 0 hazards |"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| greedy ids CUDA = CPU · stories260k checkpoint dtype | fail | first 2/4 equal (CUDA gave 4 "
                       "ids) | 4/4 equal |"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| decode fp6 (default policy) · ctx 128 | n/a | no number: bench/fp6/128 failed (rc 1): "
                       "llmeval: error: --device cuda: fp6 \\| not yet | — |"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| sampling top-k 20, top-p 0.95 · vocab 151936 | fail | 64.1 µs/token over greedy (390.0 vs "
                       "400.0 tok/s) | < 50 µs/token |"),
            std::string::npos)
      << table;
}

TEST_F(WorkFolder, NotAWorkFolderIsAnError) {
  fs::remove_all(dir_ / "stages");
  EXPECT_THROW(gpu_check::collect(dir_.string()), std::runtime_error);
}

TEST_F(WorkFolder, AnUnreadableStageRecordIsAFailedStage) {
  write("stages/001.json", "{not json");
  const nlohmann::ordered_json r = gpu_check::collect(dir_.string());
  ASSERT_EQ(r["stages"].size(), 1u);
  EXPECT_EQ(r["stages"][0]["status"], "fail");
  EXPECT_EQ(r["stages"][0]["message"], "unreadable stage record");
}

}  // namespace
}  // namespace llmrun
