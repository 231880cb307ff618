#pragma once
// The Python str methods chat templates call (Jinja's `trim` filter is str.strip()), over
// UTF-8 bytes, so the renderers strip exactly what transformers strips.
#include <string>
#include <string_view>

namespace llmrun::chat {

// Code points Python's str.isspace() accepts (str.strip() with no argument removes these):
// U+0009..000D, U+001C..001F, U+0020, U+0085, U+00A0, U+1680, U+2000..200A, U+2028, U+2029,
// U+202F, U+205F, U+3000. Not U+200B (zero-width space) nor U+FEFF.
bool is_python_whitespace(char32_t cp);

// str.strip(): removes leading and trailing Python whitespace. Bytes that are not a valid
// UTF-8 encoding of a whitespace code point are kept.
std::string_view py_strip(std::string_view s);

// str.strip(c) / lstrip(c) / rstrip(c) for one ASCII character.
std::string_view py_strip_char(std::string_view s, char c);
std::string_view py_lstrip_char(std::string_view s, char c);
std::string_view py_rstrip_char(std::string_view s, char c);

// Python's str.split(sep)[0] and str.split(sep)[-1] (text before the first / after the last
// occurrence; the whole string when sep does not occur).
std::string_view before_first(std::string_view s, std::string_view sep);
std::string_view after_last(std::string_view s, std::string_view sep);

}  // namespace llmrun::chat
