// scripts/gpu-check.sh as far as a machine without a GPU can run it: without nvidia-smi, or
// with one that finds no GPU, it says so in one line and exits 3; bad arguments are one
// line and exit 2; behind a stand-in nvidia-smi its stages run against a stand-in bundle
// (links to this build), CPU stages pass, failures and timeouts are recorded, stages left
// without time are skipped, and it still writes results.json, summary.md and logs.tar.gz.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace llmrun {
namespace {

namespace fs = std::filesystem;
using testing::run_command;

const std::string kScript = GPU_CHECK_SCRIPT;

size_t count_lines(const std::string& s) {
  size_t n = size_t(std::count(s.begin(), s.end(), '\n'));
  if (!s.empty() && s.back() != '\n') ++n;
  return n;
}

void write_executable(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
}

class GpuCheckScript : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("gpu_check_script_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "fake-bin");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // PATH with only a stand-in nvidia-smi ahead of the system's tools.
  std::string env_with_fake_smi() const { return "env -i PATH=" + (dir_ / "fake-bin").string() + ":/usr/bin:/bin "; }

  // nvidia-smi that reports one GPU (name, driver, MiB, compute capability) and 0 MiB used.
  void fake_gpu() {
    write_executable(dir_ / "fake-bin/nvidia-smi",
                     "#!/bin/sh\n"
                     "case \"$*\" in\n"
                     "  *memory.used*) echo 0 ;;\n"
                     "  *) echo 'Stand-in GPU, 0.0, 1024, 9.0' ;;\n"
                     "esac\n");
  }

  // A bundle made of links to this build, the fixtures and the committed goldens.
  fs::path fake_bundle(const std::string& stories260k) {
    const fs::path b = dir_ / "bundle";
    fs::create_directories(b / "bin");
    fs::create_directories(b / "tests/cuda");
    fs::create_directories(b / "fixtures/models");
    std::ofstream(b / "MANIFEST.txt") << "llmrun GPU check bundle\ncommit: test\n";
    for (const char* name : {"llmrun", "llmeval", "gpu_check_report"})
      fs::create_symlink(testing::bin(name), b / "bin" / name);
    fs::create_symlink(stories260k, b / "fixtures/models/stories260k");
    fs::create_symlink(testing::test_data(""), b / "test-data");
    fs::create_symlink(fs::path(GPU_CHECK_SOURCE_DIR) / "scripts", b / "scripts");
    return b;
  }

  nlohmann::json results() const {
    return nlohmann::json::parse(testing::read_file((dir_ / "out/results.json").string()));
  }
  const nlohmann::json* stage(const nlohmann::json& r, const std::string& name) const {
    for (const auto& s : r["stages"])
      if (s["name"] == name) return &s;
    return nullptr;
  }

  fs::path dir_;
};

TEST_F(GpuCheckScript, WithoutNvidiaSmiItSaysSoInOneLineAndExits3) {
  const auto r = run_command("env -i PATH=/nonexistent /bin/bash " + kScript);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_EQ(count_lines(r.output), 1u) << r.output;
  EXPECT_EQ(r.output.rfind("gpu-check: no GPU here (nvidia-smi not found)", 0), 0u) << r.output;
}

TEST_F(GpuCheckScript, WhenNvidiaSmiFindsNoGpuItSaysSoInOneLineAndExits3) {
  write_executable(dir_ / "fake-bin/nvidia-smi",
                   "#!/bin/sh\necho \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"\n"
                   "echo 'Make sure that the latest NVIDIA driver is installed and running.'\nexit 9\n");
  const auto r = run_command(env_with_fake_smi() + "/bin/bash " + kScript);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_EQ(count_lines(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find("gpu-check: no GPU here (nvidia-smi: NVIDIA-SMI has failed because it couldn't communicate"),
            std::string::npos)
      << r.output;
}

TEST_F(GpuCheckScript, BadArgumentsAreOneLineErrors) {
  struct Case {
    std::string args, needle;
  };
  for (const Case& c : {Case{"--bogus", "gpu-check: error: unknown option '--bogus' (see --help)"},
                        Case{"--budget soon", "--budget must be a positive number of seconds"},
                        Case{"--budget 0", "--budget must be a positive number of seconds"},
                        Case{"--only greedy,nope", "--only: unknown stage 'nope' (valid: ceilings,conformance,"},
                        Case{"--out", "--out needs a value"},
                        Case{"--bundle /nonexistent/b", "--bundle /nonexistent/b: not a bundle"}}) {
    fake_gpu();  // argument errors win over everything else, a GPU or not
    const auto r = run_command(env_with_fake_smi() + "/bin/bash " + kScript + " " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.output;
    EXPECT_EQ(count_lines(r.output), 1u) << c.args << ": " << r.output;
    EXPECT_NE(r.output.find(c.needle), std::string::npos) << c.args << ": " << r.output;
  }
  const auto help = run_command("env -i PATH=/usr/bin:/bin /bin/bash " + kScript + " --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.output.rfind("usage: gpu-check.sh", 0), 0u) << help.output;
}

TEST_F(GpuCheckScript, CpuStagesPassAndCudaOnesAreRecordedBehindAStandInGpu) {
  LLMRUN_REQUIRE_FIXTURE(stories260k, "models/stories260k");
  fake_gpu();
  const fs::path bundle = fake_bundle(stories260k);
  // As gpu-bundle.sh packs it: the executables in payload.tar.xz, unpacked by the script
  // (which also takes an unpacked bundle, as the other tests give it).
  if (run_command("command -v xz").exit_code == 0) {
    ASSERT_EQ(std::system(("tar -C " + bundle.string() + " -cJf " + (bundle / "payload.tar.xz").string() +
                           " bin tests && rm -r " + (bundle / "bin").string() + " " + (bundle / "tests").string())
                              .c_str()),
              0);
  }
  const auto r = run_command(env_with_fake_smi() + "/bin/bash " + kScript + " --bundle " + bundle.string() + " --out " +
                             (dir_ / "out").string() + " --only greedy,logits,memcheck --budget 200");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir_ / "out")) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"logs.tar.gz", "results.json", "summary.md"}));
  // stdout ends with the table that summary.md holds.
  const std::string table = testing::read_file((dir_ / "out/summary.md").string());
  ASSERT_FALSE(table.empty());
  EXPECT_EQ(r.output.substr(r.output.size() - table.size()), table);
  EXPECT_NE(table.find("| GPU | info | Stand-in GPU · driver 0.0 · sm 9.0 · 1024 MiB | — |"), std::string::npos) << table;

  const nlohmann::json res = results();
  for (const char* cpu : {"greedy/auto/cpu", "greedy/fp16/cpu", "logits/qwen3-tiny/cpu", "logits/llama-tiny/cpu",
                          "logits/qwen2-tiny/cpu"}) {
    const nlohmann::json* s = stage(res, cpu);
    ASSERT_NE(s, nullptr) << cpu;
    EXPECT_EQ((*s)["status"], "pass") << cpu << ": " << (*s)["message"];
  }
  // The CUDA side fails here (no GPU) and says why; on a GPU machine it may pass.
  for (const char* cuda : {"greedy/auto/cuda", "greedy/fp16/cuda", "logits/qwen3-tiny/cuda"}) {
    const nlohmann::json* s = stage(res, cuda);
    ASSERT_NE(s, nullptr) << cuda;
    if ((*s)["status"] != "pass") {
      EXPECT_EQ((*s)["status"], "fail") << cuda;
      EXPECT_NE((*s)["message"].get<std::string>().find("error"), std::string::npos) << (*s)["message"];
    }
  }
  // The CPU's 64 ids are stories260k's golden ones.
  ASSERT_EQ(res["greedy"].size(), 2u);
  std::string golden = testing::read_file(stories260k + "/expected_greedy.ids.txt");
  std::vector<int64_t> expected;
  {
    std::istringstream in(golden);
    for (int64_t id; in >> id;) expected.push_back(id);
  }
  ASSERT_GE(expected.size(), 65u);
  EXPECT_EQ(res["greedy"][0]["cpu"].get<std::vector<int64_t>>(),
            std::vector<int64_t>(expected.begin() + 1, expected.begin() + 65));
  // Stages not asked for are rows that say so.
  EXPECT_NE(table.find("| decode fp16 · ctx 128 | n/a | no number: bench/fp16/128 not run |"), std::string::npos)
      << table;
}

TEST_F(GpuCheckScript, AStageThatHangsTimesOutAndStagesWithoutTimeAreSkipped) {
  LLMRUN_REQUIRE_FIXTURE(stories260k, "models/stories260k");
  fake_gpu();
  const fs::path bundle = fake_bundle(stories260k);
  write_executable(bundle / "tests/cuda/test_hangs", "#!/bin/sh\nexec sleep 60\n");
  // A 30 s budget keeps 20 s for the report: the hanging test gets the other 10.
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_command(env_with_fake_smi() + "/bin/bash " + kScript + " --bundle " + bundle.string() + " --out " +
                             (dir_ / "out").string() + " --only conformance,greedy --budget 30");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_LT(seconds, 30.0) << r.output;
  const nlohmann::json res = results();
  const nlohmann::json* hang = stage(res, "conformance/test_hangs");
  ASSERT_NE(hang, nullptr);
  EXPECT_EQ((*hang)["status"], "timeout");
  EXPECT_TRUE((*hang)["timed_out"].get<bool>());
  EXPECT_LE((*hang)["limit_s"].get<int>(), 10);
  for (const char* name : {"greedy/auto/cpu", "greedy/fp16/cuda"}) {
    const nlohmann::json* s = stage(res, name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_EQ((*s)["status"], "skipped") << name;
    EXPECT_EQ((*s)["message"], "no time left in the 30 s budget") << name;
  }
  const std::string table = testing::read_file((dir_ / "out/summary.md").string());
  EXPECT_NE(table.find("| CUDA conformance | timeout | 1 binary: 0 passed, 0 failed, 0 skipped · "
                       "conformance/test_hangs timed out: stopped after "),
            std::string::npos)
      << table;
}

TEST_F(GpuCheckScript, WithoutTheReportToolItStillWritesOneTableOfTheStages) {
  LLMRUN_REQUIRE_FIXTURE(stories260k, "models/stories260k");
  fake_gpu();
  const fs::path bundle = fake_bundle(stories260k);
  fs::remove(bundle / "bin/gpu_check_report");
  write_executable(bundle / "bin/gpu_check_report", "#!/bin/sh\necho 'gpu_check_report: broken on purpose' >&2\nexit 1\n");
  const auto r = run_command(env_with_fake_smi() + "/bin/bash " + kScript + " --bundle " + bundle.string() + " --out " +
                             (dir_ / "out").string() + " --only greedy --budget 200");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The carried binaries "do not start" and the bundle has no source to build from: said, then on.
  EXPECT_NE(r.output.find("the carried binaries do not start here"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no source in the bundle"), std::string::npos) << r.output;
  const std::string table = testing::read_file((dir_ / "out/summary.md").string());
  EXPECT_EQ(table.rfind("| check | result | figure | target |\n|---|---|---|---|\n"
                        "| report | fail | gpu_check_report did not run: gpu_check_report: broken on purpose | — |\n",
                        0),
            0u)
      << table;
  EXPECT_NE(table.find("| greedy/auto/cpu | rc 0 | "), std::string::npos) << table;
  EXPECT_EQ(count_lines(table), 3u + 4u) << table;  // header, report row, one row per stage
  EXPECT_EQ(r.output.substr(r.output.size() - table.size()), table);
}

}  // namespace
}  // namespace llmrun
