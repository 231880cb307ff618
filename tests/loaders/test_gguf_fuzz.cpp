// Corrupted copies of a valid GGUF (written by gguf-py: tests/data/gguf/dequant.gguf,
// and a small hand-built one): every prefix, every header byte altered, and seeded
// random multi-byte mutations. Each open must either succeed -- and then every tensor
// must be readable and, where convertible, convert -- or throw an llmrun::Error whose
// one-line message starts with the path; never crash, hang or read out of bounds (the
// LLMRUN_SANITIZE build makes the last part checkable).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>

#include "loaders/gguf.h"
#include "loaders/gguf_dequant.h"
#include "tests/loaders/gguf_test_files.h"
#include "tests/loaders/safetensors_test_files.h"

namespace llmrun {
namespace {

struct Outcome {
  bool opened = false;
  std::string error;
};

Outcome open_and_touch(const std::string& path) {
  Outcome out;
  try {
    auto file = GgufFile::open(path);
    uint32_t checksum = 0;
    for (const GgufTensor& t : file->tensors()) {
      for (size_t i = 0; i < t.nbytes; ++i) checksum += t.data[i];
      if (gguf_dequant_for(t.type)) {
        EXPECT_EQ(int64_t(gguf_to_f32(t).size()), t.numel()) << t.name;
      }
    }
    volatile uint32_t sink = checksum;
    (void)sink;
    out.opened = true;
  } catch (const Error& e) {
    out.error = e.what();
  }
  return out;
}

class GgufFuzz : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two tensors, metadata of several types; the last tensor ends at the end of the file.
    testing::GgufBytes b;
    b.header(2, 4)
        .kv_str("general.architecture", "llama")
        .kv_u32("general.alignment", 32)
        .kv_strings("tokenizer.ggml.tokens", {"a", "bc", ""})
        .kv_f32("llama.rope.freq_base", 10000.0f)
        .tensor("q", {32, 2}, 2, 0)     // Q4_0: 2 blocks, 36 bytes
        .tensor("f", {3}, 0, 64)        // F32
        .pad_to(32);
    const size_t data_start = b.size();
    b.raw(std::string(36, '\x11')).pad_to(32);
    ASSERT_EQ(b.size() - data_start, 64u);
    b.f32s({1, 2, 3});
    valid = b.bytes();
    header_end = data_start;
  }
  void expect_ok_or_named_error(const Outcome& o, const std::string& what) {
    if (o.opened) return;
    EXPECT_EQ(o.error.rfind(path, 0), 0u) << what << ": error does not start with the path: " << o.error;
    EXPECT_EQ(o.error.find('\n'), std::string::npos) << what << ": " << o.error;
  }
  testing::TempDir dir;
  const std::string path = dir.file("fuzz.gguf");
  std::string valid;
  size_t header_end = 0;
};

TEST_F(GgufFuzz, EveryTruncationIsAnErrorAndTheFullFileOpens) {
  for (size_t len = 0; len <= valid.size(); ++len) {
    testing::write_bytes(path, valid.substr(0, len));
    Outcome o = open_and_touch(path);
    if (len == valid.size()) {
      EXPECT_TRUE(o.opened) << o.error;
    } else {
      EXPECT_FALSE(o.opened) << "length " << len << " of " << valid.size() << " opened";
      expect_ok_or_named_error(o, "length " + std::to_string(len));
    }
  }
}

TEST_F(GgufFuzz, EveryHeaderByteAlteredOpensOrFailsCleanly) {
  const uint8_t masks[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff};
  const uint8_t values[] = {0x00, 0x01, 0x07, 0x09, 0x0c, 0x0d, 0x7f, 0x80, 0xfe, 0xff};
  int opened = 0, failed = 0;
  auto check = [&](const std::string& bytes, const std::string& what) {
    testing::write_bytes(path, bytes);
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
    for (uint8_t v : values) {
      std::string bytes = valid;
      if (uint8_t(bytes[pos]) == v) continue;
      bytes[pos] = char(v);
      check(bytes, "byte " + std::to_string(pos) + " = " + std::to_string(v));
    }
  }
  EXPECT_GT(opened, 0);
  EXPECT_GT(failed, 0);
  std::printf("header mutations: %d opened, %d rejected\n", opened, failed);
}

TEST_F(GgufFuzz, RandomMutationsOfTheGgufPyGolden) {
  const char* env = std::getenv("LLMRUN_TEST_DATA");
  std::ifstream in(std::string(env && *env ? env : LLMRUN_TEST_DATA_DEFAULT) + "/gguf/dequant.gguf", std::ios::binary);
  const std::string golden((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(golden.size(), 4096u);
  std::mt19937_64 rng(12345);
  int opened = 0, failed = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bytes = golden;
    const int n_mut = 1 + int(rng() % 4);
    for (int m = 0; m < n_mut; ++m) {
      // Mostly within the header (first 1.7 KB), where the structure is.
      const size_t pos = (rng() % 4 != 0) ? size_t(rng() % 1728) : size_t(rng() % bytes.size());
      switch (rng() % 3) {
        case 0: bytes[pos] = char(rng()); break;
        case 1: bytes[pos] = char(uint8_t(bytes[pos]) ^ (1u << (rng() % 8))); break;
        default: bytes.resize(pos); break;
      }
      if (bytes.empty()) break;
    }
    testing::write_bytes(path, bytes);
    Outcome o = open_and_touch(path);
    expect_ok_or_named_error(o, "iteration " + std::to_string(iter));
    (o.opened ? opened : failed)++;
  }
  EXPECT_GT(opened, 0);
  EXPECT_GT(failed, 0);
  std::printf("random mutations: %d opened, %d rejected\n", opened, failed);
}

}  // namespace
}  // namespace llmrun
