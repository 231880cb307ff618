#pragma once
// A fixed byte-level BPE tokenizer with a few special tokens, for the harnesses of
// files that name tokens (tokenizer_config.json, generation_config.json).
#include "loaders/tokenizer/hf_json_tokenizer.h"
#include "loaders/tokenizer/tokenizer_json_reader.h"

namespace llmrun::fuzz {

inline const Tokenizer& small_tokenizer() {
  static const tok::HfJsonTokenizer tokenizer(tok::read_tokenizer_json(R"({
    "added_tokens": [
      {"id": 5, "content": "<s>", "special": true, "single_word": false, "lstrip": false,
       "rstrip": false, "normalized": false},
      {"id": 6, "content": "</s>", "special": true, "single_word": false, "lstrip": false,
       "rstrip": false, "normalized": false},
      {"id": 7, "content": "<|im_end|>", "special": true, "single_word": false, "lstrip": false,
       "rstrip": false, "normalized": false}],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
                      "use_regex": true},
    "post_processor": null,
    "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true,
                "use_regex": true},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false,
              "byte_fallback": false, "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4},
              "merges": ["a b", "ab c"]}})", "small tokenizer.json"),
                                                "small tokenizer.json");
  return tokenizer;
}

}  // namespace llmrun::fuzz
