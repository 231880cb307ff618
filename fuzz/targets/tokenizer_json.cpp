// tokenizer.json: the fast reader (vocab, merges), the model, normalizers,
// pre-tokenizers (the file's own split regex), post-processor, decoder, added tokens;
// then a round trip of a text with spaces, digits, CJK, emoji and special tokens.
#include "fuzz/harness.h"
#include "fuzz/targets/sample_text.h"
#include "loaders/tokenizer/hf_json_tokenizer.h"
#include "loaders/tokenizer/tokenizer_json_reader.h"

namespace llmrun::fuzz {

void tokenizer_json(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  expect_clean([&] {
    tok::HfJsonTokenizer tokenizer(tok::read_tokenizer_json(text, "tokenizer.json"), "tokenizer.json");
    round_trip(tokenizer);
  });
}

}  // namespace llmrun::fuzz
