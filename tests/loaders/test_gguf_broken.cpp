// One hand-built broken GGUF per validation rule of GgufFile::open: each must be an
// llmrun::Error whose one-line message names the file, the key or tensor where there is
// one, and what is wrong -- and nothing may be allocated from an unchecked count.
#include <gtest/gtest.h>

#include "loaders/gguf.h"
#include "tests/loaders/gguf_test_files.h"
#include "tests/loaders/safetensors_test_files.h"

namespace llmrun {
namespace {

using testing::error_of;
using testing::expect_mentions;
using testing::GgufBytes;

class BrokenGguf : public ::testing::Test {
 protected:
  std::string open_error(const GgufBytes& b) {
    testing::write_bytes(path, b.bytes());
    return error_of([&] { GgufFile::open(path); });
  }
  // A valid one-tensor file with the given tensor info fields.
  GgufBytes one_tensor(const std::vector<uint64_t>& ne, uint32_t type, uint64_t offset, size_t data_bytes) {
    GgufBytes b;
    b.header(1, 1).kv_str("general.architecture", "llama").tensor("w", ne, type, offset).pad_to(32);
    b.raw(std::string(data_bytes, '\0'));
    return b;
  }
  testing::TempDir dir;
  const std::string path = dir.file("bad.gguf");
};

TEST_F(BrokenGguf, ValidMinimalFileOpens) {
  GgufBytes b = one_tensor({4, 2}, 0, 0, 32);
  testing::write_bytes(path, b.bytes());
  auto f = GgufFile::open(path);
  ASSERT_EQ(f->tensors().size(), 1u);
  EXPECT_EQ(f->tensors()[0].nbytes, 32u);
  EXPECT_EQ(f->tensors()[0].rows(), 2);
  EXPECT_EQ(f->tensors()[0].cols(), 4);
  EXPECT_EQ(f->alignment(), 32u);
}

TEST_F(BrokenGguf, HeaderProblems) {
  expect_mentions(open_error(GgufBytes().raw("GGUF")), {"bad.gguf", "only 4 bytes"});
  expect_mentions(open_error(GgufBytes().raw("GGML").u32(3).u64(0).u64(0)), {"bad.gguf", "not a GGUF file"});
  expect_mentions(open_error(GgufBytes().header(0, 0, 1)), {"bad.gguf", "version 1"});
  expect_mentions(open_error(GgufBytes().header(0, 0, 4)), {"bad.gguf", "unsupported GGUF version 4"});
  expect_mentions(open_error(GgufBytes().header(0, 0, 0x03000000)), {"bad.gguf", "big-endian"});
}

TEST_F(BrokenGguf, HugeCountsFailBeforeAllocating) {
  expect_mentions(open_error(GgufBytes().header(0, uint64_t(1) << 62)), {"bad.gguf", "metadata count"});
  expect_mentions(open_error(GgufBytes().header(~uint64_t(0), 0)), {"bad.gguf", "tensor info count"});
  // A string array claiming 2^60 elements, and a string claiming 2^63 bytes.
  expect_mentions(open_error(GgufBytes().header(0, 1).str("tokenizer.ggml.tokens").u32(9).u32(8).u64(uint64_t(1) << 60)),
                  {"bad.gguf", "tokenizer.ggml.tokens", "array count"});
  expect_mentions(open_error(GgufBytes().header(0, 1).str("k").u32(8).u64(uint64_t(1) << 63)),
                  {"bad.gguf", "key k", "truncated"});
  expect_mentions(open_error(GgufBytes().header(0, 1).u64(~uint64_t(0)).raw(std::string(16, 'x'))),
                  {"bad.gguf", "metadata key #0", "truncated"});
}

TEST_F(BrokenGguf, BadMetadata) {
  expect_mentions(open_error(GgufBytes().header(0, 1).str("k").u32(13).u32(0)), {"bad.gguf", "key k", "unknown value type 13"});
  expect_mentions(open_error(GgufBytes().header(0, 1).str("k").u32(9).u32(99).u64(0)),
                  {"key k", "unknown array element type 99"});
  expect_mentions(open_error(GgufBytes().header(0, 1).str("k").u32(9).u32(9).u64(1)), {"key k", "arrays of arrays"});
  expect_mentions(open_error(GgufBytes().header(0, 1).str("b").u32(7).put(uint8_t(2)).raw(std::string(8, '\0'))),
                  {"key b", "BOOL byte is 2"});
  expect_mentions(open_error(GgufBytes().header(0, 2).kv_u32("k", 1).kv_u32("k", 2)), {"key k", "appears twice"});
  expect_mentions(open_error(GgufBytes().header(0, 1).str("").u32(4).u32(1)), {"metadata key #0 is empty"});
  expect_mentions(open_error(GgufBytes().header(0, 1).str("k").u32(10).u64(~uint64_t(0))), {"key k", "UINT64"});
}

// GGUF strings are UTF-8; other bytes reached nlohmann's dump (the tokenizer.json built
// from tokenizer.ggml.tokens) as a raw type_error.316, and could reach the terminal.
TEST_F(BrokenGguf, StringsMustBeUtf8) {
  expect_mentions(open_error(GgufBytes().header(0, 1).kv_strings("tokenizer.ggml.tokens", {"a", "b\x9b"})),
                  {"bad.gguf", "key tokenizer.ggml.tokens[1]", "not valid UTF-8", "byte 1"});
  expect_mentions(open_error(GgufBytes().header(0, 1).kv_str("general.name", "\xed\xa0\x80")),  // a surrogate
                  {"key general.name", "not valid UTF-8", "byte 0"});
  expect_mentions(open_error(GgufBytes().header(0, 1).kv_str("k\xc0\xaf", "x")), {"metadata key #0", "not valid UTF-8"});
  expect_mentions(open_error(GgufBytes().header(1, 0).tensor("w\xff", {4}, 0, 0)), {"tensor #0 name", "not valid UTF-8"});
  // Every well-formed sequence passes: 1 to 4 bytes, the largest code point.
  testing::write_bytes(path, GgufBytes().header(0, 1).kv_str("k", "a\xc3\xa9\xe4\xbd\xa0\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf").bytes());
  EXPECT_EQ(GgufFile::open(path)->get_string("k").size(), 14u);
}

TEST_F(BrokenGguf, BadAlignment) {
  expect_mentions(open_error(GgufBytes().header(0, 1).kv_u32("general.alignment", 0)), {"general.alignment", "power of two"});
  expect_mentions(open_error(GgufBytes().header(0, 1).kv_u32("general.alignment", 48)), {"general.alignment", "48"});
  expect_mentions(open_error(GgufBytes().header(0, 1).kv_str("general.alignment", "32")),
                  {"general.alignment", "STRING"});
}

TEST_F(BrokenGguf, BadTensorInfos) {
  expect_mentions(open_error(one_tensor({4}, 77, 0, 64)), {"bad.gguf", "tensor w", "unknown ggml type 77"});
  expect_mentions(open_error(one_tensor({}, 0, 0, 64)), {"tensor w", "0 dimensions"});
  expect_mentions(open_error(one_tensor({1, 1, 1, 1, 1}, 0, 0, 64)), {"tensor w", "5 dimensions"});
  expect_mentions(open_error(one_tensor({uint64_t(1) << 63}, 0, 0, 64)), {"tensor w", "negative or beyond"});
  expect_mentions(open_error(one_tensor({uint64_t(1) << 40, uint64_t(1) << 40}, 0, 0, 64)), {"tensor w", "64 bits"});
  expect_mentions(open_error(one_tensor({uint64_t(1) << 62}, 0, 0, 64)), {"tensor w", "bytes than fit"});
  expect_mentions(open_error(one_tensor({48}, 2, 0, 64)), {"tensor w", "not a multiple", "Q4_0", "32"});
  expect_mentions(open_error(one_tensor({4}, 0, 8, 64)), {"tensor w", "offset 8", "alignment 32"});
  expect_mentions(open_error(one_tensor({4}, 0, 64, 64)), {"tensor w", "truncated", "past the end"});
  expect_mentions(open_error(one_tensor({4}, 0, ~uint64_t(31), 64)), {"tensor w", "truncated"});
  expect_mentions(open_error(one_tensor({32}, 0, 0, 64)), {"tensor w", "truncated"});
}

TEST_F(BrokenGguf, DuplicateAndOverlappingTensors) {
  GgufBytes dup;
  dup.header(2, 0).tensor("w", {8}, 0, 0).tensor("w", {8}, 0, 32).pad_to(32).raw(std::string(64, '\0'));
  expect_mentions(open_error(dup), {"bad.gguf", "tensor w", "appears twice"});
  GgufBytes overlap;
  overlap.header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {8}, 0, 32).pad_to(32).raw(std::string(64, '\0'));
  expect_mentions(open_error(overlap), {"bad.gguf", "tensor b", "overlaps tensor a"});
  GgufBytes empty_name;
  empty_name.header(1, 0).tensor("", {8}, 0, 0).pad_to(32).raw(std::string(32, '\0'));
  expect_mentions(open_error(empty_name), {"tensor #0 has an empty name"});
}

TEST_F(BrokenGguf, NotAFile) {
  expect_mentions(error_of([&] { GgufFile::open(dir.file("absent.gguf")); }), {"absent.gguf", "cannot open"});
  expect_mentions(error_of([&] { GgufFile::open(dir.path()); }), {"not a regular file"});
}

}  // namespace
}  // namespace llmrun
