#include "runtime/chat/python_strings.h"

namespace llmrun::chat {
namespace {

// Decodes the canonical (shortest) UTF-8 sequence of at most 3 bytes at s[i]; every Python
// whitespace code point is below U+10000. Returns its length, 0 when the bytes are not one.
size_t decode_bmp(std::string_view s, size_t i, char32_t& cp) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const auto cont = [&](size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if ((b0 & 0xE0) == 0xC0 && cont(i + 1)) {
    cp = (char32_t(b0 & 0x1F) << 6) | (byte(i + 1) & 0x3F);
    return cp >= 0x80 ? 2 : 0;
  }
  if ((b0 & 0xF0) == 0xE0 && cont(i + 1) && cont(i + 2)) {
    cp = (char32_t(b0 & 0x0F) << 12) | (char32_t(byte(i + 1) & 0x3F) << 6) | (byte(i + 2) & 0x3F);
    return cp >= 0x800 ? 3 : 0;
  }
  return 0;
}

// Length of the whitespace character that starts at s[i]; 0 if there is none.
size_t whitespace_at(std::string_view s, size_t i) {
  char32_t cp = 0;
  const size_t n = decode_bmp(s, i, cp);
  return (n > 0 && is_python_whitespace(cp)) ? n : 0;
}

// Length of the whitespace character that ends just before s[end]; 0 if there is none.
size_t whitespace_before(std::string_view s, size_t end) {
  for (size_t len = 1; len <= 3 && len <= end; ++len)
    if (whitespace_at(s, end - len) == len) return len;
  return 0;
}

}  // namespace

bool is_python_whitespace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

std::string_view py_strip(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    const size_t n = whitespace_at(s, begin);
    if (n == 0) break;
    begin += n;
  }
  size_t end = s.size();
  while (end > begin) {
    const size_t n = whitespace_before(s, end);
    if (n == 0 || end - n < begin) break;
    end -= n;
  }
  return s.substr(begin, end - begin);
}

std::string_view py_lstrip_char(std::string_view s, char c) {
  const size_t begin = s.find_first_not_of(c);
  return begin == std::string_view::npos ? std::string_view() : s.substr(begin);
}

std::string_view py_rstrip_char(std::string_view s, char c) {
  const size_t last = s.find_last_not_of(c);
  return last == std::string_view::npos ? std::string_view() : s.substr(0, last + 1);
}

std::string_view py_strip_char(std::string_view s, char c) {
  return py_rstrip_char(py_lstrip_char(s, c), c);
}

std::string_view before_first(std::string_view s, std::string_view sep) {
  const size_t at = s.find(sep);
  return at == std::string_view::npos ? s : s.substr(0, at);
}

std::string_view after_last(std::string_view s, std::string_view sep) {
  const size_t at = s.rfind(sep);
  return at == std::string_view::npos ? s : s.substr(at + sep.size());
}

}  // namespace llmrun::chat
