#pragma once
// Runs llmeval in a scratch output folder and reads back its results.json.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "tests/test_support.h"

namespace llmrun::testing {

class Llmeval : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = std::filesystem::path(::testing::TempDir()) /
           ("llmeval_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(out_);
  }
  void TearDown() override { std::filesystem::remove_all(out_); }
  // LLMRUN_DATA is unset so defaults cannot leak in from the environment.
  CommandResult llmeval(const std::string& args, bool merge = true) {
    return run_command("env -u LLMRUN_DATA " + bin("llmeval") + " " + args, merge);
  }
  nlohmann::json results() { return nlohmann::json::parse(read_file((out_ / "results.json").string())); }
  std::filesystem::path out_;
};

}  // namespace llmrun::testing
