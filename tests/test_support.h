#pragma once
// Helpers shared by the tests: where fixtures and goldens live, and running CLIs.
#include <gtest/gtest.h>

#include "runtime/error.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>

namespace llmrun::testing {

inline std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::string(v) : fallback;
}

inline bool path_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Committed goldens (tests/data/...).
inline std::string test_data(const std::string& rel) {
  return env_or("LLMRUN_TEST_DATA", LLMRUN_TEST_DATA_DEFAULT) + "/" + rel;
}

inline std::string fixtures_root() { return env_or("LLMRUN_FIXTURES", LLMRUN_FIXTURES_DEFAULT); }

inline bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

// SmolLM2-135M-Instruct Q4_1 as scripts/fetch_smollm2.sh caches it ($LLMRUN_SMOLLM2_GGUF
// overrides): the real model of the GGUF and chat tests.
inline std::string smollm2_gguf() {
  const std::string cache = env_or("LLMRUN_CACHE", env_or("HOME", "/tmp") + "/.cache/llmrun");
  return env_or("LLMRUN_SMOLLM2_GGUF", cache + "/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf");
}

inline std::string bin(const std::string& name) {
  return env_or("LLMRUN_BIN_DIR", LLMRUN_BIN_DIR_DEFAULT) + "/" + name;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The message of the llmrun::Error that f throws, or "(no error)".
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ::llmrun::Error& e) {
    return e.what();
  }
  return "(no error)";
}

struct CommandResult {
  int exit_code;
  std::string output;  // stdout, then stderr when merge_stderr
};

// Runs a shell command and captures its output (stderr merged when asked).
inline CommandResult run_command(const std::string& cmd, bool merge_stderr = true) {
  std::string full = cmd + (merge_stderr ? " 2>&1" : "");
  FILE* pipe = ::popen(full.c_str(), "r");
  if (!pipe) return {-1, ""};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace llmrun::testing

// A fixture file from ../shared/fixtures: skipped with a reason when absent, except
// under CI=true where a missing fixture is a failure.
#define LLMRUN_REQUIRE_FIXTURE(var, rel)                                                  \
  const std::string var = ::llmrun::testing::fixtures_root() + "/" + (rel);               \
  do {                                                                                    \
    if (!::llmrun::testing::path_exists(var)) {                                           \
      if (::llmrun::testing::under_ci()) FAIL() << "fixture missing under CI: " << var;   \
      GTEST_SKIP() << "fixture not found: " << var << " (set LLMRUN_FIXTURES)";           \
    }                                                                                     \
  } while (0)
