#include "loaders/tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>

#include "runtime/error.h"

namespace llmrun::tok {
namespace {

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof buf);
  return reinterpret_cast<const char*>(buf);
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};
struct JitStackDeleter {
  void operator()(pcre2_jit_stack* s) const { pcre2_jit_stack_free(s); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* c) const { pcre2_match_context_free(c); }
};

}  // namespace

std::string onig_to_pcre2(std::string_view pattern) {
  // Oniguruma's \s is exactly Unicode White_Space. PCRE2's \s in UCP mode differs at two
  // code points: it lacks U+0085 (NEL) and has U+180E (Mongolian vowel separator).
  // \S outside a class is rewritten as the complement; inside a class it is kept.
  static constexpr const char* kWhiteSpace =
      "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}"
      "\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
  std::string out;
  out.reserve(pattern.size() + 64);
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[i + 1];
      if (e == 's') {
        if (in_class) out += kWhiteSpace;
        else out += std::string("[") + kWhiteSpace + "]";
      } else if (e == 'S' && !in_class) {
        out += std::string("[^") + kWhiteSpace + "]";
      } else {
        out += c;
        out += e;
      }
      ++i;
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

Regex::Regex(const std::string& pattern, const std::string& where) : where_(where) {
  const std::string translated = onig_to_pcre2(pattern);
  int err = 0;
  PCRE2_SIZE err_offset = 0;
  code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                        PCRE2_UTF | PCRE2_UCP, &err, &err_offset, nullptr);
  if (!code_)
    fail(where, ": regex does not compile at offset ", err_offset, ": ", pcre2_message(err));
  // JIT is an accelerator: without it (unsupported platform) matching still works.
  pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);
}

Regex::~Regex() { pcre2_code_free(code_); }

void Regex::for_each_match(std::string_view text,
                           const std::function<void(size_t, size_t)>& on_match) const {
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> md(
      pcre2_match_data_create_from_pattern(code_, nullptr));
  std::unique_ptr<pcre2_jit_stack, JitStackDeleter> big_stack;
  std::unique_ptr<pcre2_match_context, MatchContextDeleter> ctx;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  bool have_last_end = false;
  size_t last_end = 0;
  while (start <= text.size()) {
    int rc = pcre2_match(code_, subject, text.size(), start, PCRE2_NO_UTF_CHECK, md.get(),
                         ctx.get());
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !big_stack) {
      // Long runs (a 10 KB word) can outgrow JIT's default 32 KB stack.
      big_stack.reset(pcre2_jit_stack_create(64 * 1024, 256 * 1024 * 1024, nullptr));
      ctx.reset(pcre2_match_context_create(nullptr));
      pcre2_jit_stack_assign(ctx.get(), nullptr, big_stack.get());
      continue;
    }
    if (rc == PCRE2_ERROR_NOMATCH) return;
    if (rc < 0) fail(where_, ": regex match failed: ", pcre2_message(rc));
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    const size_t b = ov[0], e = ov[1];
    if (b == e && have_last_end && last_end == e) {
      // Skip the empty match at the end of the previous one: move one character on.
      if (start >= text.size()) return;
      ++start;
      while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
        ++start;
      continue;
    }
    on_match(b, e);
    have_last_end = true;
    last_end = e;
    start = e;
  }
}

}  // namespace llmrun::tok
