#include "eval/report/format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace llmrun::eval {
namespace {

std::string printf_fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

// "-0.00" -> "0.00": a minus sign in front of nothing but zeros says nothing true.
std::string drop_negative_zero(std::string s) {
  if (s.empty() || s[0] != '-') return s;
  for (size_t i = 1; i < s.size(); ++i)
    if (s[i] != '0' && s[i] != '.') return s;
  return s.substr(1);
}

std::string non_finite(double value) {
  if (std::isnan(value)) return "nan";
  return value > 0 ? "inf" : "-inf";
}

}  // namespace

std::string format_fixed(double value, int decimals) {
  if (!std::isfinite(value)) return non_finite(value);
  return drop_negative_zero(printf_fixed(value, decimals));
}

std::string format_signed(double value, int decimals) {
  std::string s = format_fixed(value, decimals);
  if (!std::isfinite(value) || s[0] == '-') return s;
  if (s.find_first_not_of("0.") == std::string::npos) return s;  // rounds to zero
  return "+" + s;
}

std::string format_significant(double value, int digits) {
  if (!std::isfinite(value)) return non_finite(value);
  if (value == 0) return "0";
  const double magnitude = std::fabs(value);
  if (magnitude < 1e-3) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*e", digits > 1 ? digits - 1 : 0, value);
    return buf;
  }
  const int exponent = static_cast<int>(std::floor(std::log10(magnitude)));
  int decimals = std::max(0, digits - 1 - exponent);
  std::string s = printf_fixed(value, decimals);
  // 9.996 at 3 digits rounds up to "10.00": one decimal fewer keeps 3 digits.
  if (decimals > 0 && std::fabs(std::stod(s)) >= std::pow(10.0, exponent + 1))
    s = printf_fixed(value, decimals - 1);
  return drop_negative_zero(s);
}

std::string format_shortest(double value) {
  if (!std::isfinite(value)) return non_finite(value);
  // Whole numbers (byte counts kept as doubles) read better without an exponent.
  if (value == std::trunc(value) && std::fabs(value) < 1e15) return format_fixed(value, 0);
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, result.ptr);
}

std::string format_coordinate(double value) {
  std::string s = format_fixed(value, 2);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

size_t display_width(std::string_view utf8) {
  size_t width = 0;
  for (unsigned char c : utf8)
    if ((c & 0xC0) != 0x80) ++width;
  return width;
}

std::string xml_escape(std::string_view text) {
  static constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        case '\t': case '\n': case '\r': out += static_cast<char>(c); break;
        default:
          if (c < 0x20 || c == 0x7F) out += kReplacement;
          else out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // A well-formed multi-byte sequence (no overlongs, no surrogates, <= U+10FFFF)
    // is copied; anything else becomes one replacement character per byte.
    size_t length = 0;
    uint32_t code = 0;
    if (c >= 0xC2 && c <= 0xDF) { length = 2; code = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { length = 3; code = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { length = 4; code = c & 0x07; }
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      const auto cont = static_cast<unsigned char>(text[i + k]);
      valid = (cont & 0xC0) == 0x80;
      code = (code << 6) | (cont & 0x3F);
    }
    if (valid) {
      const uint32_t min_code = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
      valid = code >= min_code && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF) &&
              code != 0xFFFE && code != 0xFFFF;
    }
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += kReplacement;
      ++i;
    }
  }
  return out;
}

}  // namespace llmrun::eval
