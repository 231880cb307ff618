// generation_config.json: sampling defaults, and the bos/eos/pad ids read beside a
// tokenizer (ids out of the vocabulary, lists, wrong types).
#include "fuzz/harness.h"
#include "fuzz/targets/small_tokenizer.h"
#include "loaders/hf_config.h"
#include "loaders/tokenizer/special_tokens_config.h"

namespace llmrun::fuzz {

void generation_config(const uint8_t* data, size_t size) {
  Scratch& s = Scratch::get();
  const std::string path = s.write("generation/generation_config.json", data, size);
  expect_clean([&] { (void)load_generation_defaults(path); });
  expect_clean([&] { (void)tok::read_special_tokens(s.dir() + "/generation", small_tokenizer(), {}); });
}

}  // namespace llmrun::fuzz
