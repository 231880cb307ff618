#pragma once
// Reads a tokenizer.json fast enough for 11 MB files (Qwen3: 151k vocab + 151k merges):
// one SAX pass streams model.vocab and model.merges straight into flat vectors and builds
// a DOM only for the rest (a DOM of the whole file costs ~3x more to build and free).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "loaders/tokenizer/json_fields.h"

namespace llmrun::tok {

struct TokenizerJson {
  Json doc;  // the file, with model.vocab as {} and model.merges as []
  bool has_vocab = false;
  bool has_merges = false;
  std::vector<std::pair<std::string, int64_t>> vocab;        // model.vocab, file order
  std::vector<std::pair<std::string, std::string>> merges;   // model.merges, rank order
};

// `name` (the path) prefixes errors, which name the key at fault.
TokenizerJson read_tokenizer_json(const std::string& text, const std::string& name);

}  // namespace llmrun::tok
