#pragma once
// UTF-8 helpers shared by the tokenizers. Invalid input is handled the way Python's
// bytes.decode("utf-8", errors="replace") and Rust's String::from_utf8_lossy do: each
// maximal invalid subpart (Unicode 15, section 3.9) becomes one U+FFFD.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmrun::utf8 {

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

struct Char {
  uint32_t cp;  // the code point; 0xFFFD when !valid
  size_t len;   // bytes consumed (>= 1 unless at end of input)
  bool valid;   // false: `len` bytes are one maximal invalid subpart
};

// Reads the character at s[pos] (pos < s.size()).
Char next(std::string_view s, size_t pos);

// True when the bytes from s[pos] are the start of a valid character that the end of
// `s` cuts short (more bytes could complete it).
bool is_truncated(std::string_view s, size_t pos);

bool is_valid(std::string_view s);

// A copy of `s` with every maximal invalid subpart replaced by U+FFFD.
std::string sanitize(std::string_view s);

void append(std::string& out, uint32_t cp);

// Number of code points in valid UTF-8 text.
size_t count_chars(std::string_view s);

}  // namespace llmrun::utf8
