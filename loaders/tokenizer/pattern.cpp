#include "loaders/tokenizer/pattern.h"

namespace llmrun::tok {

Pattern::Pattern(const Json& spec, const std::string& where) {
  if (!spec.is_object()) fail(where, ": expected {\"String\": ...} or {\"Regex\": ...}");
  if (spec.contains("Regex")) {
    regex_ = std::make_unique<Regex>(required_string(spec, "Regex", where),
                                     key_path(where, "Regex"));
  } else if (spec.contains("String")) {
    literal_ = required_string(spec, "String", where);
  } else {
    fail(where, ": expected {\"String\": ...} or {\"Regex\": ...}");
  }
}

std::vector<std::pair<size_t, size_t>> Pattern::find_all(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> out;
  if (regex_) {
    regex_->for_each_match(text, [&](size_t b, size_t e) { out.emplace_back(b, e); });
    return out;
  }
  if (literal_.empty()) return out;
  for (size_t pos = text.find(literal_); pos != std::string_view::npos;
       pos = text.find(literal_, pos + literal_.size()))
    out.emplace_back(pos, pos + literal_.size());
  return out;
}

}  // namespace llmrun::tok
