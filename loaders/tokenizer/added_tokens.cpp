#include "loaders/tokenizer/added_tokens.h"

#include <algorithm>

#include "loaders/tokenizer/unicode_props.h"
#include "loaders/tokenizer/utf8.h"

namespace llmrun::tok {
namespace {

// The code point ending just before `pos` (pos > 0, valid UTF-8).
uint32_t char_before(std::string_view text, size_t pos) {
  size_t s = pos - 1;
  while (s > 0 && (static_cast<unsigned char>(text[s]) & 0xC0) == 0x80) --s;
  return utf8::next(text, s).cp;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens,
                                     std::vector<std::string> patterns)
    : tokens_(std::move(tokens)) {
  trie_.emplace_back();
  for (size_t t = 0; t < tokens_.size(); ++t) {
    const std::string& p = patterns[t];
    if (p.empty()) continue;
    first_byte_[static_cast<uint8_t>(p[0])] = true;
    int32_t node = 0;
    for (char ch : p) {
      const auto b = static_cast<uint8_t>(ch);
      int32_t child = -1;
      for (const auto& [cb, ci] : trie_[node].children)
        if (cb == b) child = ci;
      if (child < 0) {
        child = static_cast<int32_t>(trie_.size());
        trie_[node].children.emplace_back(b, child);
        trie_.emplace_back();
      }
      node = child;
    }
    // The first token given wins when two have the same string.
    if (trie_[node].token < 0) trie_[node].token = static_cast<int32_t>(t);
  }
}

std::pair<int32_t, size_t> AddedTokenMatcher::longest_at(std::string_view text, size_t pos) const {
  std::pair<int32_t, size_t> best{-1, 0};
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto b = static_cast<uint8_t>(text[i]);
    int32_t child = -1;
    for (const auto& [cb, ci] : trie_[node].children)
      if (cb == b) {
        child = ci;
        break;
      }
    if (child < 0) break;
    node = child;
    if (trie_[node].token >= 0) best = {trie_[node].token, i + 1 - pos};
  }
  return best;
}

std::vector<Segment> AddedTokenMatcher::split(std::string_view text) const {
  std::vector<Segment> out;
  size_t covered = 0;  // text before this is in `out`
  size_t pos = 0;      // where the search resumes (the end of the last match found)
  while (pos < text.size()) {
    if (!first_byte_[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    const auto [t, len] = longest_at(text, pos);
    if (t < 0) {
      ++pos;
      continue;
    }
    const AddedToken& tok = tokens_[t];
    size_t start = pos, stop = pos + len;
    pos = stop;
    if (tok.single_word) {
      const bool word_before = start > 0 && is_word_char(char_before(text, start));
      const bool word_after = stop < text.size() && is_word_char(utf8::next(text, stop).cp);
      if (word_before || word_after) continue;
    }
    if (tok.lstrip) {
      size_t s = start;
      while (s > covered && is_white_space(char_before(text, s))) {
        --s;
        while (s > covered && (static_cast<unsigned char>(text[s]) & 0xC0) == 0x80) --s;
      }
      start = s;
    }
    start = std::max(start, covered);  // an earlier rstrip may have taken these bytes
    if (tok.rstrip) {
      while (stop < text.size()) {
        const utf8::Char c = utf8::next(text, stop);
        if (!is_white_space(c.cp)) break;
        stop += c.len;
      }
    }
    if (covered < start) out.push_back({covered, start, -1});
    out.push_back({start, stop, tok.id});
    covered = stop;
  }
  if (covered < text.size()) out.push_back({covered, text.size(), -1});
  return out;
}

}  // namespace llmrun::tok
