// Checkpoint folders: a single model.safetensors, a sharded one with
// model.safetensors.index.json, and each way the index and shards can disagree.
#include <gtest/gtest.h>

#include "loaders/safetensors.h"
#include "tests/loaders/safetensors_test_files.h"

namespace llmrun {
namespace {

using testing::error_of;
using testing::expect_mentions;
using testing::f32_bytes;
using testing::TempDir;
using testing::write_bytes;

const char* kShard1 = "model-00001-of-00002.safetensors";
const char* kShard2 = "model-00002-of-00002.safetensors";

TensorToWrite f32_tensor(const std::string& name, std::initializer_list<float> values) {
  std::string bytes = f32_bytes(values);
  return {name, DType::f32, {int64_t(values.size())}, std::vector<uint8_t>(bytes.begin(), bytes.end())};
}

// The index HF writes: {"metadata": {"total_size": N}, "weight_map": {tensor: shard}}.
std::string index_json(const std::vector<std::pair<std::string, std::string>>& weight_map) {
  std::string out = R"({"metadata": {"total_size": 20}, "weight_map": {)";
  for (size_t i = 0; i < weight_map.size(); ++i) {
    out += (i ? ", " : "") + ("\"" + weight_map[i].first + "\": \"" + weight_map[i].second + "\"");
  }
  return out + "}}";
}

class ShardedCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    write_safetensors(dir.file(kShard1), {f32_tensor("embed.weight", {1, 2, 3}), f32_tensor("layers.0.w", {4})});
    write_safetensors(dir.file(kShard2), {f32_tensor("layers.1.w", {5}), f32_tensor("norm.weight", {6})});
  }
  void write_index(const std::vector<std::pair<std::string, std::string>>& weight_map) {
    write_bytes(index_path, index_json(weight_map));
  }
  void write_good_index() {
    write_index({{"embed.weight", kShard1}, {"layers.0.w", kShard1}, {"layers.1.w", kShard2}, {"norm.weight", kShard2}});
  }
  std::string open_error() {
    return error_of([&] { Checkpoint::open_dir(dir.path()); });
  }

  TempDir dir;
  const std::string index_path = dir.file("model.safetensors.index.json");
};

TEST_F(ShardedCheckpoint, OpensEveryShardOnce) {
  write_good_index();
  Checkpoint ckpt = Checkpoint::open_dir(dir.path());
  EXPECT_EQ(ckpt.files().size(), 2u);
  EXPECT_EQ(ckpt.names(), (std::vector<std::string>{"embed.weight", "layers.0.w", "layers.1.w", "norm.weight"}));
  EXPECT_EQ(to_f32(ckpt.get("embed.weight")), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(to_f32(ckpt.get("norm.weight")), (std::vector<float>{6}));
  EXPECT_EQ(ckpt.get("layers.1.w").file, dir.file(kShard2));
  EXPECT_EQ(ckpt.find("lm_head.weight"), nullptr);
  expect_mentions(error_of([&] { ckpt.get("lm_head.weight"); }), {dir.path() + ": tensor lm_head.weight not found"});

  // Moving the checkpoint keeps its views valid (they point into the shard objects).
  Checkpoint moved = std::move(ckpt);
  EXPECT_EQ(to_f32(moved.get("layers.0.w")), (std::vector<float>{4}));
}

TEST_F(ShardedCheckpoint, IndexWinsOverASingleFile) {
  write_good_index();
  write_safetensors(dir.file("model.safetensors"), {f32_tensor("other", {0})});
  EXPECT_EQ(Checkpoint::open_dir(dir.path()).names().size(), 4u);
}

TEST_F(ShardedCheckpoint, TensorMissingFromItsShard) {
  write_index({{"embed.weight", kShard1}, {"layers.0.w", kShard1}, {"layers.1.w", kShard2}, {"norm.weight", kShard2},
               {"lm_head.weight", kShard2}});
  expect_mentions(open_error(), {index_path, "tensor lm_head.weight", kShard2, "does not hold it"});
}

TEST_F(ShardedCheckpoint, ShardFileMissing) {
  write_index({{"embed.weight", kShard1}, {"layers.0.w", kShard1}, {"layers.1.w", kShard2}, {"norm.weight", kShard2},
               {"extra.w", "model-00003-of-00003.safetensors"}});
  expect_mentions(open_error(), {index_path, "model-00003-of-00003.safetensors", "cannot open"});
}

TEST_F(ShardedCheckpoint, ShardHoldsATensorTheIndexDoesNotList) {
  write_index({{"embed.weight", kShard1}, {"layers.0.w", kShard1}, {"layers.1.w", kShard2}});
  expect_mentions(open_error(), {index_path, kShard2, "tensor norm.weight", "does not list"});
}

TEST_F(ShardedCheckpoint, IndexNumberBeyondDouble) {
  write_bytes(index_path, R"({"metadata": {"total_size": 1e400}, "weight_map": {}})");
  const std::string msg = open_error();
  expect_mentions(msg, {index_path, "invalid JSON", "number overflow"});
  EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;
}

TEST_F(ShardedCheckpoint, IndexAssignsATensorToTheWrongShard) {
  write_index({{"embed.weight", kShard1}, {"layers.0.w", kShard2}, {"layers.1.w", kShard2}, {"norm.weight", kShard2}});
  expect_mentions(open_error(), {index_path, "tensor layers.0.w", kShard1, kShard2});
}

TEST_F(ShardedCheckpoint, DuplicateTensorAcrossShards) {
  write_safetensors(dir.file(kShard2), {f32_tensor("layers.1.w", {5}), f32_tensor("embed.weight", {7})});
  write_index({{"embed.weight", kShard1}, {"layers.0.w", kShard1}, {"layers.1.w", kShard2}});
  expect_mentions(open_error(), {index_path, "tensor embed.weight", "both", kShard1, kShard2});
}

TEST_F(ShardedCheckpoint, BrokenShardIsNamed) {
  write_good_index();
  write_bytes(dir.file(kShard2), std::string("\x04\0\0\0\0\0\0\0{}", 10));  // header length 4, only 2 bytes follow
  expect_mentions(open_error(), {index_path, dir.file(kShard2), "header length 4"});
}

TEST_F(ShardedCheckpoint, MalformedIndex) {
  write_bytes(index_path, "{\"weight_map\": ");
  expect_mentions(open_error(), {index_path, "invalid JSON"});
  write_bytes(index_path, R"({"metadata": {}})");
  expect_mentions(open_error(), {index_path, "weight_map"});
  write_bytes(index_path, R"({"weight_map": ["a"]})");
  expect_mentions(open_error(), {index_path, "weight_map", "array"});
  write_bytes(index_path, R"({"weight_map": {}})");
  expect_mentions(open_error(), {index_path, "weight_map is empty"});
  write_bytes(index_path, R"({"weight_map": {"embed.weight": 1}})");
  expect_mentions(open_error(), {index_path, "tensor embed.weight", "number"});
}

TEST_F(ShardedCheckpoint, ShardPathsMustStayInsideTheFolder) {
  for (const char* shard : {"../model.safetensors", "/etc/passwd", "sub/../../x.safetensors", ""}) {
    write_index({{"embed.weight", shard}});
    expect_mentions(open_error(), {index_path, "tensor embed.weight", "not a file inside"});
  }
}

TEST(CheckpointFolder, SingleFile) {
  TempDir dir;
  write_safetensors(dir.file("model.safetensors"), {f32_tensor("b", {2}), f32_tensor("a", {1})});
  Checkpoint ckpt = Checkpoint::open_dir(dir.path());
  EXPECT_EQ(ckpt.files().size(), 1u);
  EXPECT_EQ(ckpt.names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(to_f32(ckpt.get("b")), (std::vector<float>{2}));
}

TEST(CheckpointFolder, NothingToLoad) {
  TempDir dir;
  write_safetensors(dir.file("pytorch_model.safetensors"), {});
  expect_mentions(error_of([&] { Checkpoint::open_dir(dir.path()); }),
                  {"no model.safetensors or model.safetensors.index.json in " + dir.path()});
  const std::string missing = dir.file("nope");
  expect_mentions(error_of([&] { Checkpoint::open_dir(missing); }), {missing, "no such directory"});
}

}  // namespace
}  // namespace llmrun
