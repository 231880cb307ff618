#pragma once
// tokenizer.json "added_tokens": strings such as "<|im_start|>" that are cut out of the
// text before the model sees it. Matching is leftmost-longest over the token strings
// (HF's Aho-Corasick), with single_word / lstrip / rstrip applied as HF does.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmrun::tok {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool special = false;
};

// A stretch of text [begin, end): an added token when id >= 0, else plain text.
struct Segment {
  size_t begin;
  size_t end;
  int32_t id;
};

class AddedTokenMatcher {
 public:
  // `patterns[i]` is the string matched for `tokens[i]` (its content, normalized when
  // the token is).
  AddedTokenMatcher(std::vector<AddedToken> tokens, std::vector<std::string> patterns);

  // Covers `text` with segments in order; plain-text segments are never empty.
  std::vector<Segment> split(std::string_view text) const;
  bool empty() const { return tokens_.empty(); }

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // byte -> node index
    int32_t token = -1;                                 // index into tokens_ ending here
  };
  // Longest pattern starting at `pos`: token index and length, or -1.
  std::pair<int32_t, size_t> longest_at(std::string_view text, size_t pos) const;

  std::vector<AddedToken> tokens_;
  std::vector<Node> trie_;
  bool first_byte_[256] = {};
};

}  // namespace llmrun::tok
