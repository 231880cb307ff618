#include "loaders/tokenizer/decoders.h"

#include "loaders/tokenizer/byte_level.h"
#include "loaders/tokenizer/pattern.h"
#include "loaders/tokenizer/utf8.h"

namespace llmrun::tok {
namespace {

class ByteLevelDecoder final : public Decoder {
 public:
  void apply(std::vector<std::string>& tokens, DecodeState& state) const override {
    const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::get();
    std::string bytes;
    for (const std::string& t : tokens) {
      // A token with a character outside the alphabet (an added token such as
      // "<|im_end|>" is inside it; "héllo" is not) is copied as it is.
      std::string mapped;
      bool all = true;
      for (size_t i = 0; i < t.size() && all;) {
        const utf8::Char c = utf8::next(t, i);
        const int b = alphabet.decode(c.cp);
        if (b < 0) all = false;
        else mapped.push_back(static_cast<char>(b));
        i += c.len;
      }
      bytes += all ? mapped : t;
    }
    tokens.assign(1, utf8::sanitize(bytes));  // HF: String::from_utf8_lossy
    state.fused = true;
  }
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(const Json& spec, const std::string& where)
      : pattern_(required(spec, "pattern", where), key_path(where, "pattern")),
        content_(required_string(spec, "content", where)) {}
  void apply(std::vector<std::string>& tokens, DecodeState&) const override {
    for (std::string& t : tokens) {
      const auto matches = pattern_.find_all(t);
      if (matches.empty()) continue;
      std::string out;
      size_t prev = 0;
      for (const auto& [b, e] : matches) {
        out.append(t, prev, b - prev);
        out += content_;
        prev = e;
      }
      out.append(t, prev, std::string::npos);
      t = std::move(out);
    }
  }

 private:
  Pattern pattern_;
  std::string content_;
};

// "<0xAB>" -> 0xAB, else -1.
int byte_token_value(const std::string& t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
  int v = 0;
  for (int i = 3; i < 5; ++i) {
    const char c = t[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

class ByteFallbackDecoder final : public Decoder {
 public:
  void apply(std::vector<std::string>& tokens, DecodeState&) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string run;
    size_t run_tokens = 0;
    // A run of byte tokens becomes its text when it is valid UTF-8 as a whole, else
    // one U+FFFD per byte (HF's rule, not the per-character lossy one).
    auto flush = [&] {
      if (run_tokens == 0) return;
      if (utf8::is_valid(run)) out.push_back(run);
      else
        for (size_t i = 0; i < run_tokens; ++i) out.emplace_back(utf8::kReplacement);
      run.clear();
      run_tokens = 0;
    };
    for (std::string& t : tokens) {
      const int b = byte_token_value(t);
      if (b >= 0) {
        run.push_back(static_cast<char>(b));
        ++run_tokens;
        continue;
      }
      flush();
      out.push_back(std::move(t));
    }
    flush();
    tokens = std::move(out);
  }
};

class FuseDecoder final : public Decoder {
 public:
  void apply(std::vector<std::string>& tokens, DecodeState& state) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, std::move(all));
    state.fused = true;
  }
};

class StripDecoder final : public Decoder {
 public:
  StripDecoder(const Json& spec, const std::string& where) {
    content_ = required_string(spec, "content", where);
    if (utf8::count_chars(content_) != 1) fail(key_path(where, "content"), ": expected one character");
    start_ = static_cast<size_t>(required_int(spec, "start", where));
    stop_ = static_cast<size_t>(required_int(spec, "stop", where));
  }
  void apply(std::vector<std::string>& tokens, DecodeState& state) const override {
    const size_t n = content_.size();
    for (size_t k = 0; k < tokens.size(); ++k) {
      std::string& t = tokens[k];
      // Once fused, token 0 is the whole text; its start is not the text's start when
      // the ids continue earlier text.
      const bool at_text_start = !(state.continuation && state.fused && k == 0);
      size_t b = 0;
      if (at_text_start)
        for (size_t i = 0; i < start_ && t.compare(b, n, content_) == 0; ++i) b += n;
      size_t e = t.size();
      for (size_t i = 0; i < stop_ && e >= b + n && t.compare(e - n, n, content_) == 0; ++i) e -= n;
      t = t.substr(b, e - b);
    }
  }

 private:
  std::string content_;
  size_t start_ = 0, stop_ = 0;
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(const Json& spec, const std::string& where) {
    replacement_ = required_string(spec, "replacement", where);
    std::string scheme = optional_string(spec, "prepend_scheme", "always", where);
    if (!optional_bool(spec, "add_prefix_space", true, where)) scheme = "never";
    prepends_ = scheme != "never";
  }
  void apply(std::vector<std::string>& tokens, DecodeState& state) const override {
    for (size_t k = 0; k < tokens.size(); ++k) {
      // HF drops every replacement character of the first token of a text.
      const bool drop = k == 0 && prepends_ && !state.continuation;
      std::string out;
      const std::string& t = tokens[k];
      for (size_t p = 0; p < t.size();) {
        if (t.compare(p, replacement_.size(), replacement_) == 0) {
          if (!drop) out += ' ';
          p += replacement_.size();
        } else {
          out += t[p++];
        }
      }
      tokens[k] = std::move(out);
    }
  }

 private:
  std::string replacement_;
  bool prepends_ = true;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void apply(std::vector<std::string>& tokens, DecodeState& state) const override {
    for (const auto& p : parts_) p->apply(tokens, state);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

}  // namespace

std::unique_ptr<Decoder> make_decoder(const Json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  const std::string type = type_tag(spec, where);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Replace") return std::make_unique<ReplaceDecoder>(spec, where);
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") return std::make_unique<StripDecoder>(spec, where);
  if (type == "Metaspace") return std::make_unique<MetaspaceDecoder>(spec, where);
  if (type == "Sequence") {
    const Json& list = required_array(spec, "decoders", where);
    std::vector<std::unique_ptr<Decoder>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      auto p = make_decoder(list[i], where + ".decoders[" + std::to_string(i) + "]");
      if (p) parts.push_back(std::move(p));
    }
    return std::make_unique<SequenceDecoder>(std::move(parts));
  }
  fail(key_path(where, "type"), ": decoder '", type,
       "' is not supported (supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, "
       "Metaspace, Sequence)");
}

}  // namespace llmrun::tok
