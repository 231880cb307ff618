// Corrupted copies of a valid file: every prefix, and every header byte altered. Each
// open must either succeed (and then every view must be readable) or throw
// llmrun::Error naming the file; never crash or read out of bounds (run this under
// ASan/UBSan to make the second part checkable).
#include <gtest/gtest.h>

#include "loaders/safetensors.h"
#include "tests/loaders/safetensors_test_files.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

using testing::TempDir;
using testing::write_bytes;

struct Outcome {
  bool opened = false;
  std::string error;
};

// Opens the file and, on success, reads every byte of every view.
Outcome open_and_touch(const std::string& path) {
  Outcome out;
  try {
    auto file = SafetensorsFile::open(path);
    uint32_t checksum = 0;
    for (const TensorView& t : file->tensors()) {
      EXPECT_EQ(t.nbytes, static_cast<size_t>(t.numel()) * dtype_size(t.dtype)) << t.name;
      for (size_t i = 0; i < t.nbytes; ++i) checksum += t.data[i];
      if (t.dtype == DType::f32 || t.dtype == DType::f16 || t.dtype == DType::bf16) {
        EXPECT_EQ(to_f32(t).size(), static_cast<size_t>(t.numel()));
      }
    }
    volatile uint32_t sink = checksum;  // keeps the reads from being optimized away
    (void)sink;
    out.opened = true;
  } catch (const Error& e) {
    out.error = e.what();
  }
  return out;
}

class SafetensorsFuzz : public ::testing::Test {
 protected:
  void SetUp() override {
    write_safetensors(valid_path, {{"emb", DType::f32, {3, 2}, std::vector<uint8_t>(24, 0x3f)},
                                   {"h", DType::f16, {2}, {0x00, 0x3c, 0x00, 0xc0}},
                                   {"b", DType::bf16, {1}, {0x80, 0x3f}},
                                   {"ids", DType::i32, {2}, std::vector<uint8_t>(8, 1)},
                                   {"none", DType::f32, {0}, {}}},
                      {{"format", "pt"}});
    valid = testing::read_file(valid_path);
    header_end = 8;
    for (int i = 0; i < 8; ++i) header_end += uint64_t(uint8_t(valid[size_t(i)])) << (8 * i);
    ASSERT_LT(header_end, valid.size());
  }

  void expect_ok_or_named_error(const Outcome& o, const std::string& what) {
    if (o.opened) return;
    EXPECT_EQ(o.error.rfind(path, 0), 0u) << what << ": error does not start with the path: " << o.error;
    EXPECT_EQ(o.error.find('\n'), std::string::npos) << what << ": " << o.error;
  }

  TempDir dir;
  const std::string valid_path = dir.file("valid.safetensors");
  const std::string path = dir.file("fuzz.safetensors");
  std::string valid;
  uint64_t header_end = 0;  // 8 + header length: where the data region starts
};

TEST_F(SafetensorsFuzz, EveryTruncationIsAnErrorAndTheFullFileOpens) {
  for (size_t len = 0; len <= valid.size(); ++len) {
    write_bytes(path, valid.substr(0, len));
    Outcome o = open_and_touch(path);
    if (len == valid.size()) {
      EXPECT_TRUE(o.opened) << o.error;
    } else {
      // The last tensor ends exactly at the end of the file, so any cut loses data.
      EXPECT_FALSE(o.opened) << "length " << len << " of " << valid.size() << " opened";
      expect_ok_or_named_error(o, "length " + std::to_string(len));
    }
  }
}

TEST_F(SafetensorsFuzz, EveryHeaderByteAlteredOpensOrFailsCleanly) {
  // XOR masks flip single bits or whole bytes; replacements inject JSON syntax.
  const uint8_t masks[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff};
  const char replacements[] = {'"', '{', '}', '[', ']', ',', ':', '-', '9', '0', ' ', '\\', '\0', 'e', '.'};
  int opened = 0, failed = 0;
  auto check = [&](const std::string& bytes, const std::string& what) {
    write_bytes(path, bytes);
    Outcome o = open_and_touch(path);
    expect_ok_or_named_error(o, what);
    (o.opened ? opened : failed)++;
  };
  for (size_t pos = 0; pos < header_end; ++pos) {
    for (uint8_t m : masks) {
      std::string bytes = valid;
      bytes[pos] = char(uint8_t(bytes[pos]) ^ m);
      check(bytes, "byte " + std::to_string(pos) + " ^ " + std::to_string(m));
    }
    for (char r : replacements) {
      std::string bytes = valid;
      if (bytes[pos] == r) continue;
      bytes[pos] = r;
      check(bytes, "byte " + std::to_string(pos) + " = " + std::to_string(int(r)));
    }
  }
  // Both outcomes occur (e.g. a digit changed inside padding opens; a brace removed fails).
  EXPECT_GT(opened, 0);
  EXPECT_GT(failed, 0);
  std::printf("header mutations: %d opened, %d rejected\n", opened, failed);
}

}  // namespace
}  // namespace llmrun
