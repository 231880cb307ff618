#include "loaders/tokenizer/pre_tokenizers.h"

#include <utf8proc.h>

#include <algorithm>
#include <functional>
#include <utility>

#include "loaders/tokenizer/byte_level.h"
#include "loaders/tokenizer/pattern.h"
#include "loaders/tokenizer/unicode_props.h"
#include "loaders/tokenizer/utf8.h"

namespace llmrun::tok {
namespace {

using Span = std::pair<size_t, size_t>;

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

Behavior parse_behavior(const std::string& s, const std::string& where) {
  if (s == "Removed") return Behavior::kRemoved;
  if (s == "Isolated") return Behavior::kIsolated;
  if (s == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (s == "MergedWithNext") return Behavior::kMergedWithNext;
  if (s == "Contiguous") return Behavior::kContiguous;
  fail(where, ": unknown split behavior '", s,
       "' (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

// HF's NormalizedString::split: `matches` are the pattern's hits; the segments between
// them are non-matches. Returns the kept pieces for `behavior`.
std::vector<Span> split_spans(size_t len, const std::vector<Span>& matches, bool invert,
                              Behavior behavior) {
  struct Seg {
    size_t b, e;
    bool match;
  };
  std::vector<Seg> segs;
  segs.reserve(matches.size() * 2 + 1);
  size_t prev = 0;
  for (const auto& [b, e] : matches) {
    if (prev != b) segs.push_back({prev, b, invert});
    segs.push_back({b, e, !invert});
    prev = e;
  }
  if (prev != len) segs.push_back({prev, len, invert});

  std::vector<Span> out;
  out.reserve(segs.size());
  switch (behavior) {
    case Behavior::kIsolated:
      for (const Seg& s : segs) out.emplace_back(s.b, s.e);
      break;
    case Behavior::kRemoved:
      for (const Seg& s : segs)
        if (!s.match) out.emplace_back(s.b, s.e);
      break;
    case Behavior::kContiguous: {
      bool prev_match = false;
      for (const Seg& s : segs) {
        if (!out.empty() && s.match == prev_match) out.back().second = s.e;
        else out.emplace_back(s.b, s.e);
        prev_match = s.match;
      }
      break;
    }
    case Behavior::kMergedWithPrevious: {
      bool prev_match = false;
      for (const Seg& s : segs) {
        if (!out.empty() && s.match && !prev_match) out.back().second = s.e;
        else out.emplace_back(s.b, s.e);
        prev_match = s.match;
      }
      break;
    }
    case Behavior::kMergedWithNext: {
      bool prev_match = false;
      for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
        if (!out.empty() && it->match && !prev_match) out.back().first = it->b;
        else out.emplace_back(it->b, it->e);
        prev_match = it->match;
      }
      std::reverse(out.begin(), out.end());
      break;
    }
  }
  return out;
}

// Replaces each word by the pieces `spans_of` cuts it into.
void split_words(std::vector<Word>& words,
                 const std::function<std::vector<Span>(const std::string&)>& spans_of) {
  std::vector<Word> out;
  out.reserve(words.size() * 4);
  for (Word& w : words) {
    for (const auto& [b, e] : spans_of(w.text)) {
      if (b == e) continue;
      out.push_back({w.text.substr(b, e - b), w.at_text_start && b == 0});
    }
  }
  words = std::move(out);
}

// Matches of a per-character predicate, one per character (HF's Fn(char) pattern).
std::vector<Span> char_matches(const std::string& text, const std::function<bool(uint32_t)>& pred) {
  std::vector<Span> m;
  for (size_t i = 0; i < text.size();) {
    const utf8::Char c = utf8::next(text, i);
    if (pred(c.cp)) m.emplace_back(i, i + c.len);
    i += c.len;
  }
  return m;
}

class Split final : public PreTokenizer {
 public:
  Split(const Json& spec, const std::string& where)
      : pattern_(required(spec, "pattern", where), key_path(where, "pattern")),
        behavior_(parse_behavior(required_string(spec, "behavior", where),
                                 key_path(where, "behavior"))),
        invert_(optional_bool(spec, "invert", false, where)) {}
  void apply(std::vector<Word>& words) const override {
    split_words(words, [&](const std::string& t) {
      return split_spans(t.size(), pattern_.find_all(t), invert_, behavior_);
    });
  }

 private:
  Pattern pattern_;
  Behavior behavior_;
  bool invert_;
};

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(const Json& spec, const std::string& where)
      : add_prefix_space_(optional_bool(spec, "add_prefix_space", true, where)),
        use_regex_(optional_bool(spec, "use_regex", true, where)) {
    if (use_regex_)
      gpt2_ = std::make_unique<Pattern>(
          Json{{"Regex",
                R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)"}},
          where + " (GPT-2 regex)");
  }
  void apply(std::vector<Word>& words) const override {
    if (add_prefix_space_)
      for (Word& w : words)
        if (w.text.empty() || w.text[0] != ' ') w.text.insert(0, " ");
    if (gpt2_)
      split_words(words, [&](const std::string& t) {
        return split_spans(t.size(), gpt2_->find_all(t), false, Behavior::kIsolated);
      });
    const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::get();
    std::string mapped;
    for (Word& w : words) {
      mapped.clear();
      alphabet.encode_append(w.text, mapped);
      w.text.swap(mapped);
    }
  }

 private:
  bool add_prefix_space_;
  bool use_regex_;
  std::unique_ptr<Pattern> gpt2_;
};

class Metaspace final : public PreTokenizer {
 public:
  Metaspace(const Json& spec, const std::string& where) {
    replacement_ = required_string(spec, "replacement", where);
    if (utf8::count_chars(replacement_) != 1)
      fail(key_path(where, "replacement"), ": expected one character");
    // Older files say add_prefix_space instead of prepend_scheme.
    std::string scheme = optional_string(spec, "prepend_scheme", "always", where);
    if (!optional_bool(spec, "add_prefix_space", true, where)) scheme = "never";
    if (scheme == "always") scheme_ = Scheme::kAlways;
    else if (scheme == "first") scheme_ = Scheme::kFirst;
    else if (scheme == "never") scheme_ = Scheme::kNever;
    else fail(key_path(where, "prepend_scheme"), ": expected always, first or never");
    split_ = optional_bool(spec, "split", true, where);
  }
  void apply(std::vector<Word>& words) const override {
    for (Word& w : words) {
      std::string t;
      t.reserve(w.text.size() + 8);
      for (char c : w.text) {
        if (c == ' ') t += replacement_;
        else t += c;
      }
      const bool starts = t.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (scheme_ == Scheme::kAlways || (scheme_ == Scheme::kFirst && w.at_text_start)))
        t.insert(0, replacement_);
      w.text = std::move(t);
    }
    if (!split_) return;
    split_words(words, [&](const std::string& t) {
      std::vector<Span> m;
      for (size_t p = t.find(replacement_); p != std::string::npos;
           p = t.find(replacement_, p + replacement_.size()))
        m.emplace_back(p, p + replacement_.size());
      return split_spans(t.size(), m, false, Behavior::kMergedWithNext);
    });
  }

 private:
  enum class Scheme { kAlways, kFirst, kNever };
  std::string replacement_;
  Scheme scheme_ = Scheme::kAlways;
  bool split_ = true;
};

bool is_numeric(uint32_t cp) {
  const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

class Digits final : public PreTokenizer {
 public:
  explicit Digits(bool individual) : individual_(individual) {}
  void apply(std::vector<Word>& words) const override {
    split_words(words, [&](const std::string& t) {
      return split_spans(t.size(), char_matches(t, is_numeric), false,
                         individual_ ? Behavior::kIsolated : Behavior::kContiguous);
    });
  }

 private:
  bool individual_;
};

class WhitespaceSplit final : public PreTokenizer {
 public:
  void apply(std::vector<Word>& words) const override {
    split_words(words, [&](const std::string& t) {
      return split_spans(t.size(), char_matches(t, is_white_space), false, Behavior::kRemoved);
    });
  }
};

class Sequence final : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
  void apply(std::vector<Word>& words) const override {
    for (const auto& p : parts_) p->apply(words);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  const std::string type = type_tag(spec, where);
  if (type == "Split") return std::make_unique<Split>(spec, where);
  if (type == "ByteLevel") return std::make_unique<ByteLevel>(spec, where);
  if (type == "Metaspace") return std::make_unique<Metaspace>(spec, where);
  if (type == "Digits")
    return std::make_unique<Digits>(optional_bool(spec, "individual_digits", false, where));
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
  if (type == "Sequence") {
    const Json& list = required_array(spec, "pretokenizers", where);
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      auto p = make_pre_tokenizer(list[i], where + ".pretokenizers[" + std::to_string(i) + "]");
      if (p) parts.push_back(std::move(p));
    }
    return std::make_unique<Sequence>(std::move(parts));
  }
  fail(key_path(where, "type"), ": pre-tokenizer '", type,
       "' is not supported (supported: Split, ByteLevel, Metaspace, Digits, WhitespaceSplit, "
       "Sequence)");
}

}  // namespace llmrun::tok
