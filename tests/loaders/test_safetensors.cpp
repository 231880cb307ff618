// Reading and writing valid safetensors files: the writer's exact bytes, round trips,
// the real stories260k checkpoint, and f16/bf16 conversion against known bit patterns.
#include "loaders/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "tests/loaders/safetensors_test_files.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

using testing::bits_of;
using testing::error_of;
using testing::expect_mentions;
using testing::f32_bytes;
using testing::raw_safetensors;
using testing::TempDir;
using testing::write_bytes;

std::vector<uint8_t> as_vec(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::vector<uint8_t> u16_bytes(std::initializer_list<uint16_t> values) {
  std::vector<uint8_t> out;
  for (uint16_t v : values) {
    out.push_back(uint8_t(v & 0xff));
    out.push_back(uint8_t(v >> 8));
  }
  return out;
}

TEST(SafetensorsDType, NamesAndSizesMatchTheSpec) {
  // From the safetensors format description (huggingface/safetensors README).
  struct Row {
    DType dtype;
    const char* name;
    size_t size;
  };
  const Row rows[] = {{DType::f64, "F64", 8},         {DType::f32, "F32", 4},   {DType::f16, "F16", 2},
                      {DType::bf16, "BF16", 2},       {DType::i64, "I64", 8},   {DType::i32, "I32", 4},
                      {DType::i16, "I16", 2},         {DType::i8, "I8", 1},     {DType::u8, "U8", 1},
                      {DType::boolean, "BOOL", 1},    {DType::f8_e4m3, "F8_E4M3", 1},
                      {DType::f8_e5m2, "F8_E5M2", 1}};
  for (const Row& r : rows) {
    EXPECT_STREQ(dtype_name(r.dtype), r.name);
    EXPECT_EQ(dtype_size(r.dtype), r.size) << r.name;
  }
}

TEST(SafetensorsView, NumelAndShapeString) {
  TensorView v{};
  v.shape = {2048, 2560};
  EXPECT_EQ(v.numel(), 2048 * 2560);
  EXPECT_EQ(v.shape_str(), "[2048,2560]");
  v.shape = {};
  EXPECT_EQ(v.numel(), 1);  // a scalar
  EXPECT_EQ(v.shape_str(), "[]");
  v.shape = {3, 0, 5};
  EXPECT_EQ(v.numel(), 0);
}

// The layout written by hand from the format description: 8-byte length, JSON padded
// with spaces so the data starts at a multiple of 8, then the data.
TEST(SafetensorsWrite, ExactBytesOfATinyFile) {
  TempDir dir;
  const std::string path = dir.file("tiny.safetensors");
  write_safetensors(path, {{"a", DType::f32, {2}, as_vec(f32_bytes({1.0f, -2.0f}))}}, {{"format", "pt"}});

  const std::string header = R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ASSERT_EQ(header.size(), 85u);  // + 3 spaces of padding: 8 + 88 = 96 = 12 * 8
  std::string expected = std::string("\x58\0\0\0\0\0\0\0", 8) + header + "   " +
                         std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);
  EXPECT_EQ(testing::read_file(path), expected);

  // Nothing but the file itself is left in the folder (the temporary was renamed).
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "tiny.safetensors");
  }
  EXPECT_EQ(entries, 1);
}

TEST(SafetensorsWrite, RoundTripsEveryKindOfTensor) {
  TempDir dir;
  const std::string path = dir.file("rt.safetensors");
  std::vector<TensorToWrite> tensors = {
      {"w.f32", DType::f32, {2, 3}, as_vec(f32_bytes({1, 2, 3, 4, 5, -6.5f}))},
      {"w.f16", DType::f16, {3}, u16_bytes({0x3c00, 0xc000, 0x7c00})},
      {"w.bf16", DType::bf16, {1, 2}, u16_bytes({0x3f80, 0x4049})},
      {"ids", DType::i64, {1}, std::vector<uint8_t>{7, 0, 0, 0, 0, 0, 0, 0}},
      {"mask", DType::u8, {3}, std::vector<uint8_t>{1, 0, 1}},  // odd size: later data unaligned
      {"empty", DType::f32, {0, 4}, {}},
      {"scalar", DType::f32, {}, as_vec(f32_bytes({42.0f}))},
  };
  write_safetensors(path, tensors, {{"format", "pt"}, {"note", "round trip"}});

  auto file = SafetensorsFile::open(path);
  ASSERT_EQ(file->tensors().size(), tensors.size());
  EXPECT_EQ(file->metadata(), (std::map<std::string, std::string>{{"format", "pt"}, {"note", "round trip"}}));
  for (const TensorToWrite& t : tensors) {
    const TensorView* v = file->find(t.name);
    ASSERT_NE(v, nullptr) << t.name;
    EXPECT_EQ(v->dtype, t.dtype) << t.name;
    EXPECT_EQ(v->shape, t.shape) << t.name;
    EXPECT_EQ(v->file, path);
    ASSERT_EQ(v->nbytes, t.bytes.size()) << t.name;
    if (v->nbytes) {
      EXPECT_EQ(std::memcmp(v->data, t.bytes.data(), v->nbytes), 0) << t.name;
    }
  }
  // File order is write order here.
  EXPECT_EQ(file->tensors()[0].name, "w.f32");
  EXPECT_EQ(file->find("nope"), nullptr);
  EXPECT_EQ(to_f32(*file->find("w.f32")), (std::vector<float>{1, 2, 3, 4, 5, -6.5f}));
  EXPECT_EQ(to_f32(*file->find("scalar")), (std::vector<float>{42.0f}));
  EXPECT_TRUE(to_f32(*file->find("empty")).empty());

  // Zero copy: views sit at their offsets inside one mapping.
  const TensorView* a = file->find("w.f32");
  const TensorView* b = file->find("w.f16");
  EXPECT_EQ(b->data - a->data, 24);
  EXPECT_EQ(file->find("w.f32")->data, a->data);
}

TEST(SafetensorsWrite, OverwritesAnExistingFile) {
  TempDir dir;
  const std::string path = dir.file("o.safetensors");
  write_bytes(path, "old contents");
  write_safetensors(path, {{"x", DType::u8, {1}, {9}}});
  EXPECT_EQ(SafetensorsFile::open(path)->find("x")->data[0], 9);
}

// A killed writer's temporary file is removed by the next write into that folder; a live
// writer's, and files that only look similar, are left alone.
TEST(SafetensorsWrite, RemovesStalePartialFilesOfDeadWriters) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / ("llmrun_partials_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "model.safetensors").string();
  // pid 2^22 + 1 is above Linux's pid_max limit (2^22): never a running process.
  const std::string dead = path + ".partial-4194305-1a2b", live = path + ".partial-" + std::to_string(::getpid()) + "-ff",
                    other = path + ".partial-notours", unrelated = (dir / "notes.partial-1-2").string();
  for (const std::string& f : {dead, live, other, unrelated}) std::ofstream(f) << "x";
  write_safetensors(path, {TensorToWrite{"t", DType::f32, {1}, std::vector<uint8_t>(4)}});
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_TRUE(fs::exists(unrelated));
  EXPECT_TRUE(fs::exists(path));
  fs::remove_all(dir);
}

TEST(SafetensorsWrite, RejectsBadInputNamingPathAndTensor) {
  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  expect_mentions(error_of([&] { write_safetensors(path, {{"w", DType::f32, {2}, {1, 2, 3}}}); }),
                  {path, "tensor w", "3 bytes", "needs 8"});
  expect_mentions(error_of([&] {
                    write_safetensors(path, {{"w", DType::u8, {1}, {1}}, {"w", DType::u8, {1}, {2}}});
                  }),
                  {path, "tensor w", "twice"});
  expect_mentions(error_of([&] { write_safetensors(path, {{"__metadata__", DType::u8, {1}, {1}}}); }),
                  {path, "reserved"});
  EXPECT_FALSE(testing::path_exists(path));  // nothing written on bad input
  const std::string nowhere = dir.file("missing-dir/x.safetensors");
  expect_mentions(error_of([&] { write_safetensors(nowhere, {}); }), {nowhere, "No such file"});
}

// Headers any writer may legally produce, read through a hand-built file.
TEST(SafetensorsRead, AcceptsUnalignedHeaderGapsTrailingBytesAndEmptyTensors) {
  TempDir dir;
  const std::string path = dir.file("odd.safetensors");
  // A header length that is 5 mod 8: F32 data lands unaligned in memory.
  std::string header =
      R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},"e":{"dtype":"BF16","shape":[0],"data_offsets":[4,4]},)"
      R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  while (header.size() % 8 != 5) header += ' ';
  // a = 0.5 at [0,4), 8 bytes of gap, b = {3, -1} at [12,20), then 5 trailing bytes.
  write_bytes(path, raw_safetensors(header, f32_bytes({0.5f}) + std::string(8, 'x') + f32_bytes({3, -1}) + "tail!"));

  auto file = SafetensorsFile::open(path);
  ASSERT_EQ(file->tensors().size(), 3u);
  EXPECT_EQ(file->tensors()[0].name, "a");  // file order
  EXPECT_EQ(file->tensors()[1].name, "e");
  EXPECT_EQ(file->tensors()[2].name, "b");
  EXPECT_EQ(to_f32(*file->find("a")), (std::vector<float>{0.5f}));
  EXPECT_EQ(to_f32(*file->find("b")), (std::vector<float>{3, -1}));
  EXPECT_EQ(file->find("e")->numel(), 0);
  EXPECT_TRUE(file->metadata().empty());
}

TEST(SafetensorsRead, AcceptsAnEmptyHeaderObject) {
  TempDir dir;
  const std::string path = dir.file("none.safetensors");
  write_bytes(path, raw_safetensors("{}      "));
  EXPECT_TRUE(SafetensorsFile::open(path)->tensors().empty());
}

// f16 / bf16 -> f32 against constants from the IEEE 754 binary16 and bfloat16
// definitions (not from the code under test).
TEST(SafetensorsToF32, HalfBitPatterns) {
  TempDir dir;
  const std::string path = dir.file("half.safetensors");
  const std::vector<uint16_t> f16 = {0x3c00, 0xc000, 0x3555, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x8000, 0x7e00};
  // 1, -2, 0.333251953125, 2^-24 (min subnormal), 1023 * 2^-24 (max subnormal),
  // 2^-14 (min normal), 65504 (max), +inf, -inf, -0, NaN.
  const std::vector<uint32_t> f16_expected_bits = {0x3f800000, 0xc0000000, 0x3eaaa000, 0x33800000, 0x387fc000,
                                                   0x38800000, 0x477fe000, 0x7f800000, 0xff800000, 0x80000000};
  const std::vector<uint16_t> bf16 = {0x3f80, 0xc000, 0x4049, 0x0001, 0x7f7f, 0x7f80, 0xff80, 0x8000, 0x7fc0};
  const std::vector<float> bf16_expected = {1.0f, -2.0f, 3.140625f, std::ldexp(1.0f, -133), 3.38953139e38f,
                                            INFINITY, -INFINITY, -0.0f};
  auto pack = [](const std::vector<uint16_t>& v) {
    std::vector<uint8_t> out;
    for (uint16_t h : v) out.insert(out.end(), {uint8_t(h & 0xff), uint8_t(h >> 8)});
    return out;
  };
  write_safetensors(path, {{"h", DType::f16, {int64_t(f16.size())}, pack(f16)},
                           {"b", DType::bf16, {int64_t(bf16.size())}, pack(bf16)}});
  auto file = SafetensorsFile::open(path);

  std::vector<float> h = to_f32(*file->find("h"));
  ASSERT_EQ(h.size(), f16.size());
  for (size_t i = 0; i < f16_expected_bits.size(); ++i) {
    EXPECT_EQ(bits_of(h[i]), f16_expected_bits[i]) << "f16 0x" << std::hex << f16[i];
  }
  EXPECT_TRUE(std::isnan(h.back()));

  std::vector<float> b = to_f32(*file->find("b"));
  ASSERT_EQ(b.size(), bf16.size());
  for (size_t i = 0; i < bf16_expected.size(); ++i) {
    EXPECT_EQ(bits_of(b[i]), bits_of(bf16_expected[i])) << "bf16 0x" << std::hex << bf16[i];
  }
  EXPECT_TRUE(std::isnan(b.back()));
}

TEST(SafetensorsToF32, OtherDTypesNameFileTensorAndDType) {
  TempDir dir;
  const std::string path = dir.file("ints.safetensors");
  write_safetensors(path, {{"ids", DType::i64, {1}, std::vector<uint8_t>(8, 0)},
                           {"q", DType::f8_e4m3, {2}, {0x38, 0x40}}});
  auto file = SafetensorsFile::open(path);
  expect_mentions(error_of([&] { to_f32(*file->find("ids")); }),
                  {path + ": tensor ids has dtype I64; expected F32, F16 or BF16"});
  expect_mentions(error_of([&] { to_f32(*file->find("q")); }), {path, "tensor q", "F8_E4M3"});
}

// stories260k: expected values read with Python's struct module, independently of this
// loader:
//   n = struct.unpack('<Q', f[:8])[0]; h = json.loads(f[8:8+n])
//   off = 8 + n + h[name]['data_offsets'][0] + 4*i; struct.unpack('<I', f[off:off+4])
TEST(SafetensorsRead, Stories260kFixture) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  Checkpoint ckpt = Checkpoint::open_dir(dir);
  ASSERT_EQ(ckpt.files().size(), 1u);
  EXPECT_EQ(ckpt.files()[0]->metadata().at("format"), "pt");
  // 5 layers x 9 tensors + embed_tokens + norm; tied embeddings, so no lm_head.
  EXPECT_EQ(ckpt.names().size(), 47u);
  EXPECT_EQ(ckpt.names().front(), "model.embed_tokens.weight");
  EXPECT_EQ(ckpt.find("lm_head.weight"), nullptr);

  struct Expect {
    const char* name;
    std::vector<int64_t> shape;
    std::vector<std::pair<size_t, uint32_t>> bits;  // element index -> f32 bits
  };
  const Expect expects[] = {
      {"model.embed_tokens.weight",
       {512, 64},
       {{0, 0xbe96e950}, {1, 0x3f0fd864}, {2, 0x3e33a1f7}, {3, 0x3eae5faa}, {32767, 0xbed91acd}}},
      {"model.norm.weight", {64}, {{0, 0x401d54ef}, {63, 0x3fda986f}}},
      {"model.layers.4.self_attn.v_proj.weight", {32, 64}, {{2047, 0x3db4fadf}}},
      {"model.layers.0.mlp.down_proj.weight", {64, 172}, {}},
      {"model.layers.2.mlp.gate_proj.weight", {172, 64}, {}},
  };
  for (const Expect& e : expects) {
    const TensorView& v = ckpt.get(e.name);
    EXPECT_EQ(v.dtype, DType::f32) << e.name;
    EXPECT_EQ(v.shape, e.shape) << e.name;
    std::vector<float> values = to_f32(v);
    for (auto [index, bits] : e.bits) {
      ASSERT_LT(index, values.size());
      EXPECT_EQ(bits_of(values[index]), bits) << e.name << "[" << index << "]";
    }
  }
  EXPECT_FLOAT_EQ(to_f32(ckpt.get("model.embed_tokens.weight"))[0], -0.29474878311157227f);
  expect_mentions(error_of([&] { ckpt.get("lm_head.weight"); }), {dir + ": tensor lm_head.weight not found"});
}

// A BF16 file written by Python's safetensors (via transformers' save_pretrained; see
// tests/data/models/README.md). Expected bf16 bit patterns read with Python's struct
// module as above ('<H'); bf16 h widens to the f32 bits h << 16 by definition.
TEST(SafetensorsRead, TransformersWrittenBf16Checkpoint) {
  const std::string dir = testing::test_data("models/qwen3-tiny");
  Checkpoint ckpt = Checkpoint::open_dir(dir);
  EXPECT_EQ(ckpt.names().size(), 35u);
  EXPECT_EQ(ckpt.files()[0]->metadata().at("format"), "pt");
  struct Expect {
    const char* name;
    std::vector<int64_t> shape;
    std::vector<uint32_t> first_bits;  // f32 bits of elements 0, 1, 2
  };
  const Expect expects[] = {
      {"model.embed_tokens.weight", {512, 64}, {0x3e5f0000, 0x3d330000, 0x3eb80000}},
      {"model.layers.0.self_attn.q_norm.weight", {32}, {0x3f610000, 0x3f780000, 0x3f850000}},
      {"model.norm.weight", {64}, {0x3f860000, 0x3f6f0000, 0x3f8e0000}},
  };
  for (const Expect& e : expects) {
    const TensorView& v = ckpt.get(e.name);
    EXPECT_EQ(v.dtype, DType::bf16) << e.name;
    EXPECT_EQ(v.shape, e.shape) << e.name;
    std::vector<float> values = to_f32(v);
    for (size_t i = 0; i < e.first_bits.size(); ++i) EXPECT_EQ(bits_of(values[i]), e.first_bits[i]) << e.name << "[" << i << "]";
  }
}

}  // namespace
}  // namespace llmrun
