#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/harness.h"

namespace fs = std::filesystem;
using llmrun::fuzz::Harness;
using llmrun::fuzz::kHarnesses;

namespace llmrun::fuzz {
// gtest names a failing parameter by its harness, not its bytes.
void PrintTo(const Harness& h, std::ostream* os) { *os << h.name; }
}  // namespace llmrun::fuzz

namespace {

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FuzzRegressions : public ::testing::TestWithParam<Harness> {};

// Each saved input through its harness: the entry swallows llmrun::Error only, so another
// exception fails here and a crash or sanitizer report ends the test binary.
TEST_P(FuzzRegressions, SavedInputsGiveCleanErrors) {
  const fs::path dir = fs::path(LLMRUN_FUZZ_DIR) / "regressions" / GetParam().name;
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no saved inputs in " << dir;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() != "README.md") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << dir << " exists but holds no inputs";
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    const std::vector<uint8_t> bytes = read_bytes(file);
    EXPECT_NO_THROW(GetParam().entry(bytes.data(), bytes.size()));
  }
}

INSTANTIATE_TEST_SUITE_P(All, FuzzRegressions, ::testing::ValuesIn(kHarnesses),
                         [](const auto& p) { return std::string(p.param.name); });

// A harness without a dictionary or regression folder name would silently fuzz blind;
// and an entry that threw on plain garbage would make every regression meaningless.
TEST(FuzzHarnesses, EachHasADictionaryAndTakesGarbage) {
  for (const Harness& h : kHarnesses) {
    SCOPED_TRACE(h.name);
    EXPECT_TRUE(fs::is_regular_file(fs::path(LLMRUN_FUZZ_DIR) / "dicts" / (std::string(h.name) + ".dict")));
    const std::string garbage = "\x01{\"\xff";
    EXPECT_NO_THROW(h.entry(reinterpret_cast<const uint8_t*>(garbage.data()), garbage.size()));
    EXPECT_NO_THROW(h.entry(nullptr, 0));
  }
}

// The wrapper lets exactly llmrun::Error through as a clean answer.
TEST(FuzzHarnesses, ExpectCleanRethrowsForeignExceptions) {
  EXPECT_NO_THROW(llmrun::fuzz::expect_clean([] { llmrun::fail("bad input"); }));
  EXPECT_THROW(llmrun::fuzz::expect_clean([] { throw std::out_of_range("map::at"); }), std::out_of_range);
}

}  // namespace
