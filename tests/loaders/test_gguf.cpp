// The GGUF reader and dequantization against files written by PyPI's gguf package
// (tests/data/gguf, made by scripts/make_gguf_goldens.py with gguf 0.19.0): metadata of
// every value type reads back as written, and every tensor type llmrun converts equals
// gguf.quants.dequantize value for value (bit for bit, so a NaN can never pass).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include <nlohmann/json.hpp>

#include "loaders/gguf.h"
#include "loaders/gguf_dequant.h"
#include "tests/loaders/safetensors_test_files.h"

namespace llmrun {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string golden_path(const std::string& name) {
  const char* env = std::getenv("LLMRUN_TEST_DATA");
  return std::string(env && *env ? env : LLMRUN_TEST_DATA_DEFAULT) + "/gguf/" + name;
}

TEST(GgufGolden, MetadataOfEveryTypeReadsBackAsWritten) {
  auto f = GgufFile::open(golden_path("dequant.gguf"));
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  EXPECT_EQ(f->get_string("general.architecture"), "test");
  EXPECT_EQ(f->get_int("test.u8"), 200);
  EXPECT_EQ(f->get_int("test.i8"), -100);
  EXPECT_EQ(f->get_int("test.u16"), 60000);
  EXPECT_EQ(f->get_int("test.i16"), -30000);
  EXPECT_EQ(f->get_int("test.u32"), 4000000000LL);
  EXPECT_EQ(f->get_int("test.i32"), -2000000000LL);
  EXPECT_EQ(f->get_real("test.f32"), 0.15625);
  EXPECT_TRUE(f->get_bool("test.bool"));
  EXPECT_EQ(f->get_string("test.string"), "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c");
  EXPECT_EQ(f->get_int("test.u64"), 9000000000000000000LL);
  EXPECT_EQ(f->get_int("test.i64"), -9000000000000000000LL);
  EXPECT_EQ(f->get_real("test.f64"), -2.5e300);
  EXPECT_EQ(f->get_strings("test.array.strings"), (std::vector<std::string>{"a", "", "\xc3\xbc\xc3\x9f"}));
  EXPECT_EQ(f->get_ints("test.array.i32"), (std::vector<int64_t>{1, -2, 2147483647}));
  EXPECT_EQ(f->get_reals("test.array.f32"), (std::vector<double>{0.5, -1.25}));
  EXPECT_EQ(f->get_ints("test.array.u8"), (std::vector<int64_t>{0, 255}));
  EXPECT_EQ(f->get_ints("test.array.bool"), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(f->find("test.array.bool")->element_type, GgufValueType::boolean);
  // Wrong-type and missing keys name the key.
  testing::expect_mentions(testing::error_of([&] { f->get_int("test.string"); }),
                           {"dequant.gguf", "test.string", "STRING", "integer"});
  testing::expect_mentions(testing::error_of([&] { f->get_strings("test.array.i32"); }),
                           {"test.array.i32", "ARRAY of INT32"});
  testing::expect_mentions(testing::error_of([&] { f->get_real("nope"); }), {"missing", "nope"});
}

TEST(GgufGolden, TypeTableMatchesGgufPy) {
  const auto types = nlohmann::json::parse(slurp(golden_path("types.json")));
  ASSERT_GT(types.size(), 30u);
  for (const auto& [name, t] : types.items()) {
    const GgmlTypeInfo* info = ggml_type_info(t.at("id").get<uint32_t>());
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->name, name);
    EXPECT_EQ(info->block_size, t.at("block_size").get<int64_t>()) << name;
    // One known disagreement: gguf-py sizes Q8_1 as fp32 d and s (40 bytes); ggml's
    // block_q8_1 holds two fp16 (36, static_assert in ggml-common.h), and ggml reads
    // the files. Q8_1 is a matmul intermediate that converters never write.
    const int64_t want = name == "Q8_1" ? 36 : t.at("type_size").get<int64_t>();
    EXPECT_EQ(info->type_size, want) << name;
  }
}

TEST(GgufGolden, EveryConvertibleTypeEqualsGgufPyDequantize) {
  auto f = GgufFile::open(golden_path("dequant.gguf"));
  const std::set<std::string> required = {"F32",  "F16",  "BF16", "Q4_0", "Q4_1", "Q5_0",
                                          "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"};
  std::set<std::string> tested;
  for (const GgufDequantRecord& r : gguf_dequant_table()) {
    const std::string name = ggml_type_info(r.type).name;
    const GgufTensor* t = f->find_tensor(name);
    const GgufTensor* e = f->find_tensor(name + ".expected");
    ASSERT_TRUE(t && e) << "no golden for " << name << ": rerun scripts/make_gguf_goldens.py";
    ASSERT_EQ(t->type, r.type);
    ASSERT_EQ(e->type, GgmlType::f32);
    ASSERT_EQ(t->ne, e->ne) << name;
    const std::vector<float> got = gguf_to_f32(*t);
    ASSERT_EQ(int64_t(got.size()) * 4, int64_t(e->nbytes)) << name;
    int mismatches = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      float want;
      std::memcpy(&want, e->data + 4 * i, 4);
      ASSERT_TRUE(std::isfinite(want)) << name << " golden " << i;
      if (testing::bits_of(got[i]) != testing::bits_of(want) && mismatches++ < 5)
        ADD_FAILURE() << name << " element " << i << ": got " << got[i] << ", gguf-py " << want;
    }
    EXPECT_EQ(mismatches, 0) << name;
    tested.insert(name);
  }
  EXPECT_EQ(tested, required);
}

TEST(GgufGolden, UnsupportedTypeIsANamedError) {
  // A Q2_K tensor parses (its size is known) but cannot be converted.
  testing::TempDir dir;
  const std::string path = dir.file("q2k.gguf");
  std::string bytes = "GGUF";
  auto put = [&](auto v) { bytes.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(uint32_t(3)), put(uint64_t(1)), put(uint64_t(0));
  put(uint64_t(1)), bytes += "w", put(uint32_t(1)), put(uint64_t(256)), put(uint32_t(10)), put(uint64_t(0));
  while (bytes.size() % 32) bytes.push_back('\0');
  bytes += std::string(84, '\0');
  testing::write_bytes(path, bytes);
  auto f = GgufFile::open(path);
  testing::expect_mentions(testing::error_of([&] { gguf_to_f32(f->tensors().at(0)); }),
                           {"q2k.gguf", "tensor w", "Q2_K", "Q4_K"});
}

}  // namespace
}  // namespace llmrun
