// model.safetensors.index.json beside two small, valid shards: the weight map, shard
// names (paths that leave the folder), tensors listed in the wrong shard or not at all.
#include "fuzz/harness.h"
#include "loaders/safetensors.h"

namespace llmrun::fuzz {
namespace {

void write_shards(Scratch& s) {
  static bool done = false;
  if (done) return;
  const float values[4] = {1, 2, 3, 4};
  const auto* raw = reinterpret_cast<const uint8_t*>(values);
  const std::vector<uint8_t> bytes(raw, raw + sizeof values), half(raw, raw + sizeof values / 2);
  std::vector<TensorToWrite> one{{"model.embed_tokens.weight", DType::f32, {2, 2}, bytes}};
  std::vector<TensorToWrite> two{{"lm_head.weight", DType::f32, {2, 2}, bytes},
                                 {"model.norm.weight", DType::f32, {2}, half}};
  write_safetensors(s.dir() + "/index/model-00001-of-00002.safetensors", one, {});
  write_safetensors(s.dir() + "/index/model-00002-of-00002.safetensors", two, {});
  done = true;
}

}  // namespace

void safetensors_index(const uint8_t* data, size_t size) {
  Scratch& s = Scratch::get();
  s.write("index/model.safetensors.index.json", data, size);
  write_shards(s);
  expect_clean([&] { (void)Checkpoint::open_dir(s.dir() + "/index"); });
}

}  // namespace llmrun::fuzz
