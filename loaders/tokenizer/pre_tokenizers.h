#pragma once
// tokenizer.json "pre_tokenizer": cuts normalized text into the words the model sees
// (Split with the file's regex, ByteLevel, Metaspace, Digits, Sequence, ...).
#include <memory>
#include <string>
#include <vector>

#include "loaders/tokenizer/json_fields.h"

namespace llmrun::tok {

struct Word {
  std::string text;
  // The word begins where the whole input text begins (Metaspace's "first" scheme).
  bool at_text_start = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces each word by its pieces; empty pieces are dropped.
  virtual void apply(std::vector<Word>& words) const = 0;
};

// null -> nullptr; unsupported types fail naming `where`.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& spec, const std::string& where);

}  // namespace llmrun::tok
