// One hand-built broken file per validation rule of SafetensorsFile::open: each must be
// an llmrun::Error whose one-line message names the file, the tensor where there is
// one, and what is wrong.
#include <gtest/gtest.h>

#include "loaders/safetensors.h"
#include "tests/loaders/safetensors_test_files.h"

namespace llmrun {
namespace {

using testing::error_of;
using testing::expect_mentions;
using testing::raw_safetensors;
using testing::TempDir;
using testing::write_bytes;

class BrokenSafetensors : public ::testing::Test {
 protected:
  // Writes the bytes to bad.safetensors and returns the error opening it.
  std::string open_error(const std::string& bytes) {
    write_bytes(path, bytes);
    return error_of([&] { SafetensorsFile::open(path); });
  }
  std::string header_error(const std::string& header, const std::string& data = std::string(64, '\0')) {
    return open_error(raw_safetensors(header, data));
  }

  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
};

// A [2,2] F32 tensor needs 16 bytes.
const std::string kData16(16, '\0');

TEST_F(BrokenSafetensors, MissingFile) {
  const std::string missing = dir.file("absent.safetensors");
  expect_mentions(error_of([&] { SafetensorsFile::open(missing); }), {missing, "cannot open", "No such file"});
}

TEST_F(BrokenSafetensors, DirectoryInsteadOfFile) {
  expect_mentions(error_of([&] { SafetensorsFile::open(dir.path()); }), {dir.path(), "not a regular file"});
}

TEST_F(BrokenSafetensors, EmptyFile) { expect_mentions(open_error(""), {path, "empty"}); }

TEST_F(BrokenSafetensors, ShorterThanTheLengthField) {
  expect_mentions(open_error(std::string("\x10\0\0\0\0", 5)), {path, "only 5 bytes", "8-byte header length"});
}

TEST_F(BrokenSafetensors, HugeHeaderLength) {
  expect_mentions(open_error(raw_safetensors("{}", "", uint64_t(1) << 40)), {path, "header length 1099511627776", "absurd"});
  expect_mentions(open_error(raw_safetensors("{}", "", ~uint64_t(0))), {path, "absurd"});
}

TEST_F(BrokenSafetensors, HeaderLengthBeyondFile) {
  // Claims 100 header bytes; only 2 + 16 follow the length field.
  expect_mentions(open_error(raw_safetensors("{}", kData16, 100)), {path, "header length 100", "exceeds the 18 bytes"});
}

TEST_F(BrokenSafetensors, InvalidJson) {
  std::string msg = header_error(R"({"w": {"dtype": "F32",, }})");
  expect_mentions(msg, {path, "invalid JSON", "column"});
  EXPECT_LT(msg.size(), 400u) << "keep parser detail short: " << msg;
  expect_mentions(header_error(""), {path, "invalid JSON"});
  expect_mentions(header_error(std::string("{\"w\"\0}", 6)), {path, "invalid JSON"});
  expect_mentions(header_error("{\"\xff\xfe\": 1}"), {path, "invalid JSON"});  // not UTF-8
}

// nlohmann throws out_of_range (not parse_error) for a number beyond double: its raw
// "[json.exception.out_of_range.406]" text must not reach the user.
TEST_F(BrokenSafetensors, NumberBeyondDouble) {
  const std::string msg = header_error(R"({"w": {"dtype": "F32", "shape": [1e400], "data_offsets": [0, 4]}})");
  expect_mentions(msg, {path, "invalid JSON", "number overflow", "1e400"});
  EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;
}

TEST_F(BrokenSafetensors, JsonNotAnObject) {
  expect_mentions(header_error("[1, 2]"), {path, "array", "expected an object"});
  expect_mentions(header_error("42"), {path, "number", "expected an object"});
}

TEST_F(BrokenSafetensors, DuplicateTensorName) {
  const std::string entry = R"({"dtype":"U8","shape":[1],"data_offsets":[0,1]})";
  expect_mentions(header_error("{\"w\":" + entry + ",\"w\":" + entry + "}"), {path, "\"w\"", "twice"});
}

TEST_F(BrokenSafetensors, BadMetadata) {
  expect_mentions(header_error(R"({"__metadata__": [1]})"), {path, "__metadata__", "array"});
  expect_mentions(header_error(R"({"__metadata__": {"format": "pt", "n": 3}})"), {path, "__metadata__", "\"n\"", "number"});
}

TEST_F(BrokenSafetensors, EntryNotAnObject) {
  expect_mentions(header_error(R"({"w": "F32"})"), {path, "tensor w", "string", "expected an object"});
}

TEST_F(BrokenSafetensors, EntryMissingFields) {
  expect_mentions(header_error(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})"), {path, "tensor w", "no \"dtype\""});
  expect_mentions(header_error(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})"), {path, "tensor w", "no \"shape\""});
  expect_mentions(header_error(R"({"w": {"dtype": "F32", "shape": [1]}})"), {path, "tensor w", "no \"data_offsets\""});
}

TEST_F(BrokenSafetensors, EntryFieldsOfWrongType) {
  expect_mentions(header_error(R"({"w": {"dtype": 4, "shape": [1], "data_offsets": [0, 4]}})"),
                  {path, "tensor w", "dtype", "number"});
  expect_mentions(header_error(R"({"w": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}})"),
                  {path, "tensor w", "shape", "expected an array"});
  expect_mentions(header_error(R"({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})"),
                  {path, "tensor w", "non-integer"});
  expect_mentions(header_error(R"({"w": {"dtype": "F32", "shape": ["1"], "data_offsets": [0, 4]}})"),
                  {path, "tensor w", "non-integer"});
  expect_mentions(header_error(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}})"),
                  {path, "tensor w", "data_offsets", "[begin, end]"});
  expect_mentions(header_error(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": {"a": 0}}})"),
                  {path, "tensor w", "data_offsets"});
  expect_mentions(header_error(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})"),
                  {path, "tensor w", "data_offsets"});
  expect_mentions(header_error(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0.0, 4.0]}})"),
                  {path, "tensor w", "data_offsets"});
}

TEST_F(BrokenSafetensors, UnknownDType) {
  expect_mentions(header_error(R"({"w": {"dtype": "F17", "shape": [1], "data_offsets": [0, 4]}})"),
                  {path, "tensor w", "unknown dtype \"F17\"", "BF16"});
  // Names are case-sensitive in the format.
  expect_mentions(header_error(R"({"w": {"dtype": "f32", "shape": [1], "data_offsets": [0, 4]}})"),
                  {path, "tensor w", "\"f32\""});
}

TEST_F(BrokenSafetensors, NegativeDimension) {
  expect_mentions(header_error(R"({"w": {"dtype": "F32", "shape": [2, -2], "data_offsets": [0, 16]}})"),
                  {path, "tensor w", "negative dimension"});
}

TEST_F(BrokenSafetensors, ElementCountOverflow) {
  // 2^32 * 2^32 elements: the count wraps to 0 in 64 bits, so [0,0] would look right.
  expect_mentions(header_error(R"({"w": {"dtype": "U8", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})"),
                  {path, "tensor w", "64 bits"});
  // Fits as a count, but times 8 bytes per element it does not.
  expect_mentions(header_error(R"({"w": {"dtype": "F64", "shape": [4611686018427387904], "data_offsets": [0, 0]}})"),
                  {path, "tensor w", "64 bits"});
  expect_mentions(header_error(R"({"w": {"dtype": "U8", "shape": [18446744073709551615], "data_offsets": [0, 0]}})"),
                  {path, "tensor w", "64 bits"});
}

TEST_F(BrokenSafetensors, OffsetsBeginAfterEnd) {
  expect_mentions(header_error(R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})"),
                  {path, "tensor w", "[8,4]", "begin > end"});
}

TEST_F(BrokenSafetensors, TruncatedFile) {
  // Header says 16 data bytes; the file was cut after 10 of them.
  const std::string header = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  const size_t expected_size = 8 + header.size() + 16;
  std::string msg = header_error(header, kData16.substr(0, 10));
  expect_mentions(msg, {path, "tensor w", "truncated", std::to_string(expected_size) + " bytes",
                        "it is " + std::to_string(expected_size - 6) + " bytes"});
}

TEST_F(BrokenSafetensors, LyingOffsetsPastTheEnd) {
  // The second tensor claims bytes far past the data region.
  std::string msg = header_error(
      R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[1000000,1000004]}})",
      kData16);
  expect_mentions(msg, {path, "tensor b", "truncated", "1000004"});
}

TEST_F(BrokenSafetensors, ByteCountMismatch) {
  expect_mentions(header_error(R"({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}})"),
                  {path, "tensor w", "12 bytes", "[2,2]", "needs 16"});
  expect_mentions(header_error(R"({"w": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 12]}})"),
                  {path, "tensor w", "needs 6"});
}

TEST_F(BrokenSafetensors, OverlappingTensors) {
  std::string msg = header_error(
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
      kData16);
  expect_mentions(msg, {path, "tensors a", "and b", "overlap"});
  // Full containment, listed in the other order.
  msg = header_error(
      R"({"inner":{"dtype":"U8","shape":[2],"data_offsets":[5,7]},"outer":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
      kData16);
  expect_mentions(msg, {path, "outer", "inner", "overlap"});
  // Two identical ranges.
  msg = header_error(
      R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
      kData16);
  expect_mentions(msg, {path, "x", "y", "overlap"});
  // A tensor after a long one must be compared with the long one, not just its neighbour.
  msg = header_error(
      R"({"long":{"dtype":"U8","shape":[16],"data_offsets":[0,16]},"s1":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
      R"("s2":{"dtype":"U8","shape":[1],"data_offsets":[8,9]}})",
      kData16);
  expect_mentions(msg, {path, "long", "overlap"});
}

TEST_F(BrokenSafetensors, EmptyTensorsOverlapNothing) {
  write_bytes(path, raw_safetensors(
                        R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"z":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]}})",
                        kData16));
  EXPECT_EQ(SafetensorsFile::open(path)->tensors().size(), 2u);
}

TEST_F(BrokenSafetensors, LongTensorNamesAreClipped) {
  const std::string name(5000, 'n');
  std::string msg = header_error("{\"" + name + "\": 1}");
  expect_mentions(msg, {path, "tensor nnnn", "n..."});
  EXPECT_LT(msg.size(), 400u);
}

}  // namespace
}  // namespace llmrun
