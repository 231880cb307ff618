// `llmrun quantize` output loads without re-quantizing and gives the same logits as
// quantizing at load; its provenance hash and layout are checked.
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "loaders/safetensors.h"
#include "loaders/sha256.h"
#include "runtime/error.h"
#include "runtime/model_loader.h"
#include "runtime/quantized_checkpoint.h"
#include "tests/model/golden.h"
#include "tests/quiet_load.h"
#include "tests/test_name.h"

namespace llmrun {
namespace {

namespace fs = std::filesystem;

std::vector<float> logits_of(const std::string& dir, const std::string& precision, const std::vector<int32_t>& ids) {
  auto backend = make_backend({"cpu", 1});
  LoadedModel m = load_model(dir, *backend, testing::quiet_load(precision));
  KvCache cache = m.model->new_cache(int64_t(ids.size()));
  return m.model->forward(ids, cache, LogitRows::all);
}

class QuantizedCheckpoint : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { out_ = fs::path(::testing::TempDir()) / ("llmrun_q_" + std::to_string(::getpid())); }
  void TearDown() override { fs::remove_all(out_); }
  fs::path out_;
};

TEST_P(QuantizedCheckpoint, RoundTripEqualsQuantizeAtLoad) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  const std::string precision = GetParam();
  quantize_checkpoint(g.dir, out_.string(), testing::quiet_load(precision));
  EXPECT_EQ(logits_of(out_.string(), "auto", g.prompt_ids), logits_of(g.dir, precision, g.prompt_ids));

  const Checkpoint ck = Checkpoint::open_dir(out_.string());
  const auto& meta = ck.files().front()->metadata();
  EXPECT_EQ(meta.at(kQuantizedMarkerKey), kQuantizedMarker);
  EXPECT_EQ(meta.at(kPrecisionKey), precision);
  EXPECT_EQ(meta.at(kSourceHashKey), sha256_file(g.dir + "/model.safetensors"));
  EXPECT_TRUE(fs::exists(out_ / "config.json"));
  const auto formats = quantized_tensor_formats(ck);
  EXPECT_EQ(formats.at("model.layers.0.self_attn.q_proj.weight"), parse_weight_format(precision));
  EXPECT_EQ(nlohmann::json::parse(meta.at(kTensorFormatsKey)).at("model.layers.0.self_attn.q_proj.weight"),
            format_name(parse_weight_format(precision)));  // the codec's name, never an alias
  EXPECT_EQ(formats.at("model.norm.weight"), WeightFormat::f32);
  EXPECT_EQ(formats.at("model.embed_tokens.weight"), WeightFormat::bf16);
}

// Every packed format of the codec table (a new one is covered without a line here), and fp16.
std::vector<std::string> saved_formats() {
  std::vector<std::string> names = {"fp16"};
  for (const CodecRecord* c : all_codecs())
    if (c->packed()) names.push_back(c->name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Formats, QuantizedCheckpoint, ::testing::ValuesIn(saved_formats()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) { return testing::test_name(param_info.param); });

TEST_F(QuantizedCheckpoint, ScaledLayoutIsCodesPlusScales) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  quantize_checkpoint(g.dir, out_.string(), testing::quiet_load("fp6-e3m2"));
  const Checkpoint ck = Checkpoint::open_dir(out_.string());
  const TensorView& q = ck.get("model.layers.0.self_attn.q_proj.weight");  // [128, 64] fp6-e3m2
  EXPECT_EQ(q.dtype, DType::u8);
  EXPECT_EQ(q.shape, (std::vector<int64_t>{128, 48}));  // 64 codes * 6 bits = 48 bytes
  const TensorView& s = ck.get("model.layers.0.self_attn.q_proj.weight.scale");
  EXPECT_EQ(s.dtype, DType::f32);
  EXPECT_EQ(s.shape, (std::vector<int64_t>{128}));
}

TEST_F(QuantizedCheckpoint, RequantizingIsRefused) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  quantize_checkpoint(g.dir, out_.string(), testing::quiet_load("int8"));
  auto backend = make_backend({"cpu", 1});
  try {
    load_model(out_.string(), *backend, testing::quiet_load("fp8"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already quantized (int8)"), std::string::npos) << e.what();
  }
}

// A quantized file that does not record its precision is still refused by name (was a
// raw `map::at` exception).
TEST_F(QuantizedCheckpoint, RequantizingWithoutARecordedPrecisionIsRefused) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  quantize_checkpoint(g.dir, out_.string(), testing::quiet_load("int8"));
  const std::string file = (out_ / "model.safetensors").string();
  std::string bytes = testing::read_file(file);
  const std::string key = std::string("\"") + kPrecisionKey + "\"";
  const size_t at = bytes.find(key);
  ASSERT_NE(at, std::string::npos);
  bytes[at + key.size() - 2] = 'X';  // same length: the header stays valid, the key is gone
  std::ofstream(file, std::ios::binary) << bytes;
  auto backend = make_backend({"cpu", 1});
  try {
    load_model(out_.string(), *backend, testing::quiet_load("fp8"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already quantized (precision not recorded)"), std::string::npos) << e.what();
  }
}

// A pre-quantized file whose fp8 codes include NaN (0x7f) is refused at load, naming the
// tensor, row and column (the AVX2 decode would have turned it into 480, the reference into NaN).
TEST_F(QuantizedCheckpoint, NanCodeInAFileIsAnError) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  quantize_checkpoint(g.dir, out_.string(), testing::quiet_load("fp8-row"));
  const std::string file = (out_ / "model.safetensors").string();
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  uint64_t header_len = 0;
  f.read(reinterpret_cast<char*>(&header_len), 8);
  std::string header(size_t(header_len), '\0');
  f.read(header.data(), std::streamsize(header_len));
  const auto h = nlohmann::json::parse(header);
  const int64_t begin = h.at("model.layers.1.mlp.up_proj.weight").at("data_offsets").at(0).get<int64_t>();
  const int64_t cols = h.at("model.layers.1.mlp.up_proj.weight").at("shape").at(1).get<int64_t>();
  f.seekp(std::streamoff(8 + int64_t(header_len) + begin + 2 * cols + 5));  // row 2, column 5
  f.put(char(0x7f));
  f.close();
  auto backend = make_backend({"cpu", 1});
  try {
    load_model(out_.string(), *backend, testing::quiet_load("auto"));
    FAIL() << "a NaN code loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "model.layers.1.mlp.up_proj.weight: the fp8-row code at row 2, column 5 is not a finite number"),
              std::string::npos)
        << e.what();
  }
}

// Files written before "int8", "fp8" and "fp6" became aliases of the group-scaled formats
// name the per-row formats so; they load as what they hold.
TEST_F(QuantizedCheckpoint, OlderFilesPerRowNamesKeepTheirMeaning) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  quantize_checkpoint(g.dir, out_.string(), testing::quiet_load("fp6-e3m2"));
  const std::vector<float> now = logits_of(out_.string(), "auto", g.prompt_ids);
  const std::string file = (out_ / "model.safetensors").string();
  std::string bytes = testing::read_file(file);
  // The formats map is JSON inside a header string (quotes escaped); the same length keeps
  // the header valid: "fp6" and five spaces of JSON whitespace.
  const std::string stored = "\\\"fp6-e3m2\\\"", legacy = "\\\"fp6\\\"     ";
  ASSERT_EQ(stored.size(), legacy.size());
  int replaced = 0;
  for (size_t at = bytes.find(stored); at != std::string::npos; at = bytes.find(stored, at)) bytes.replace(at, stored.size(), legacy), ++replaced;
  ASSERT_GT(replaced, 0);
  std::ofstream(file, std::ios::binary) << bytes;
  const auto formats = quantized_tensor_formats(Checkpoint::open_dir(out_.string()));
  EXPECT_EQ(formats.at("model.layers.0.self_attn.q_proj.weight"), WeightFormat::fp6_e3m2);
  EXPECT_EQ(logits_of(out_.string(), "auto", g.prompt_ids), now);
}

// Independent references: FIPS 180-4 test vectors and the fixtures' SHA256SUMS.
TEST(Sha256, KnownVectorsAndFixtureSums) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  LLMRUN_REQUIRE_FIXTURE(sums, "SHA256SUMS");
  std::istringstream lines(testing::read_file(sums));
  int checked = 0;
  for (std::string hash, name; lines >> hash >> name;) {
    if (name.find("stories260k/model.safetensors") == std::string::npos) continue;
    if (name.rfind("./", 0) == 0) name = name.substr(2);
    EXPECT_EQ(sha256_file(testing::fixtures_root() + "/" + name), hash) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 1);
}

}  // namespace
}  // namespace llmrun
