#pragma once
// What the tokenizer harnesses encode and decode once a file has loaded.
#include <cstdint>
#include <vector>

#include "loaders/tokenizer/tokenizer.h"

namespace llmrun::fuzz {

inline constexpr const char* kSampleText =
    "Hello, world!  It's 2024: 12345 tokens\n\n\t<|im_start|>user<s></s>"
    "\xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80 \xc3\xa9t\xc3\xa9 \xff\xfe invalid";

inline void round_trip(const Tokenizer& tokenizer) {
  for (bool special : {false, true}) {
    const std::vector<int32_t> ids = tokenizer.encode(kSampleText, special);
    (void)tokenizer.decode(ids, false);
    (void)tokenizer.decode(ids, true);
    StreamingDecoder stream(tokenizer, {});
    for (int32_t id : ids) (void)stream.push(id);
    (void)stream.flush();
  }
  if (tokenizer.vocab_size() > 0) {
    const int32_t last = int32_t(tokenizer.vocab_size() - 1);
    (void)tokenizer.id_to_piece(last);
    (void)tokenizer.decode({0, last}, false);
  }
}

}  // namespace llmrun::fuzz
