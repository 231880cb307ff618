#pragma once
// tokenizer.json "normalizer": rewrites each stretch of text between added tokens
// before pre-tokenization (NFC, Prepend("▁"), Replace(" ", "▁"), Sequence, ...).
#include <memory>
#include <string>

#include "loaders/tokenizer/json_fields.h"

namespace llmrun::tok {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // `text` is valid UTF-8 and stays so.
  virtual void apply(std::string& text) const = 0;
};

// Builds the normalizer described by `spec` (null -> nullptr). Unsupported types fail
// with an error naming `where`.
std::unique_ptr<Normalizer> make_normalizer(const Json& spec, const std::string& where);

}  // namespace llmrun::tok
