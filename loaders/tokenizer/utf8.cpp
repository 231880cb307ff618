#include "loaders/tokenizer/utf8.h"

namespace llmrun::utf8 {
namespace {

// Length of the well-formed sequence led by `b` and the allowed range of its second
// byte (Unicode Table 3-7); len 0 for bytes that never start a character.
struct Lead {
  size_t len;
  uint8_t lo, hi;
};

Lead lead_of(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// How many bytes from s[pos] match a well-formed sequence (stops at the first bad one).
size_t matched_prefix(std::string_view s, size_t pos, const Lead& lead) {
  size_t n = 1;
  while (n < lead.len && pos + n < s.size()) {
    const auto b = static_cast<uint8_t>(s[pos + n]);
    const uint8_t lo = n == 1 ? lead.lo : 0x80;
    const uint8_t hi = n == 1 ? lead.hi : 0xBF;
    if (b < lo || b > hi) break;
    ++n;
  }
  return n;
}

}  // namespace

Char next(std::string_view s, size_t pos) {
  const auto b0 = static_cast<uint8_t>(s[pos]);
  if (b0 < 0x80) return {b0, 1, true};
  const Lead lead = lead_of(b0);
  if (lead.len == 0) return {0xFFFD, 1, false};
  const size_t n = matched_prefix(s, pos, lead);
  if (n < lead.len) return {0xFFFD, n, false};
  uint32_t cp = b0 & (0xFF >> (lead.len + 1));
  for (size_t i = 1; i < lead.len; ++i) cp = (cp << 6) | (static_cast<uint8_t>(s[pos + i]) & 0x3F);
  return {cp, lead.len, true};
}

bool is_truncated(std::string_view s, size_t pos) {
  const Lead lead = lead_of(static_cast<uint8_t>(s[pos]));
  if (lead.len <= 1) return false;
  const size_t n = matched_prefix(s, pos, lead);
  return n < lead.len && pos + n == s.size();
}

bool is_valid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const Char c = next(s, i);
    if (!c.valid) return false;
    i += c.len;
  }
  return true;
}

std::string sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    // Copy runs of ASCII and valid sequences as they are.
    size_t j = i;
    while (j < s.size()) {
      if (static_cast<uint8_t>(s[j]) < 0x80) {
        ++j;
        continue;
      }
      const Char c = next(s, j);
      if (!c.valid) break;
      j += c.len;
    }
    out.append(s.substr(i, j - i));
    if (j == s.size()) break;
    out.append(kReplacement);
    i = j + next(s, j).len;
  }
  return out;
}

void append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t count_chars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace llmrun::utf8
