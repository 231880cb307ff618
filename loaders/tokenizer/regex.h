#pragma once
// The split patterns of tokenizer.json files (written for Oniguruma, which HF uses),
// run with PCRE2 in UTF + Unicode-property mode with JIT.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

struct pcre2_real_code_8;

namespace llmrun::tok {

class Regex {
 public:
  // `where` names the pattern in errors ("tokenizer.json: pre_tokenizer.pattern.Regex").
  Regex(const std::string& pattern, const std::string& where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Calls on_match(begin, end) for each match, left to right, as Oniguruma's find_iter
  // does: the search resumes at the end of the previous match, and an empty match right
  // where the previous one ended is skipped by moving one character on.
  // `text` must be valid UTF-8 (it is not checked again).
  void for_each_match(std::string_view text,
                      const std::function<void(size_t, size_t)>& on_match) const;

 private:
  pcre2_real_code_8* code_ = nullptr;
  std::string where_;
};

// The pattern with Oniguruma spellings that PCRE2 reads differently rewritten (\s, \S).
std::string onig_to_pcre2(std::string_view pattern);

}  // namespace llmrun::tok
