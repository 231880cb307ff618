#pragma once
// The {"String": ...} / {"Regex": ...} patterns of Split, Replace and friends.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loaders/tokenizer/json_fields.h"
#include "loaders/tokenizer/regex.h"

namespace llmrun::tok {

class Pattern {
 public:
  Pattern(const Json& spec, const std::string& where);

  // Non-overlapping matches [begin, end), left to right. An empty String pattern
  // matches nothing (as in HF).
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

 private:
  std::string literal_;
  std::unique_ptr<Regex> regex_;
};

}  // namespace llmrun::tok
