// A SentencePiece tokenizer.model (protobuf), read through libsentencepiece.
#include "fuzz/harness.h"
#include "fuzz/targets/sample_text.h"
#include "loaders/tokenizer/sentencepiece_tokenizer.h"

namespace llmrun::fuzz {

void tokenizer_model(const uint8_t* data, size_t size) {
  const std::string path = Scratch::get().write("spm/tokenizer.model", data, size);
  expect_clean([&] {
    tok::SentencePieceTokenizer tokenizer(path);
    round_trip(tokenizer);
  });
}

}  // namespace llmrun::fuzz
