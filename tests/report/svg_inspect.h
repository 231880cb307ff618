#pragma once
// Reading charts back in tests: the attributes of SVG elements (a small scanner for our
// own output, whose attributes are always double-quoted), and the external tools that
// check the files independently (xmllint parses, rsvg-convert renders).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace llmrun::eval::testing {

using Element = std::map<std::string, std::string>;  // attribute -> unescaped value

inline std::string xml_unescape(const std::string& s) {
  static const std::pair<const char*, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool replaced = false;
    for (const auto& [entity, c] : kEntities) {
      const std::string e(entity);
      if (s.compare(i, e.size(), e) == 0) {
        out += c;
        i += e.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += s[i++];
  }
  return out;
}

// Every <tag ...> element (open or self-closing) with its attributes.
inline std::vector<Element> elements(const std::string& xml, const std::string& tag) {
  std::vector<Element> found;
  const std::string open = "<" + tag;
  for (size_t p = xml.find(open); p != std::string::npos; p = xml.find(open, p + 1)) {
    const char next = xml[p + open.size()];
    if (next != ' ' && next != '>' && next != '/') continue;
    const size_t end = xml.find('>', p);
    Element element;
    size_t i = p + open.size();
    while (i < end) {
      const size_t eq = xml.find("=\"", i);
      if (eq == std::string::npos || eq > end) break;
      const size_t name_start = xml.find_last_of(' ', eq) + 1;
      const size_t close = xml.find('"', eq + 2);
      element[xml.substr(name_start, eq - name_start)] = xml_unescape(xml.substr(eq + 2, close - eq - 2));
      i = close + 1;
    }
    found.push_back(element);
  }
  return found;
}

inline std::vector<Element> with_class(const std::vector<Element>& all, const std::string& cls) {
  std::vector<Element> out;
  for (const Element& e : all)
    if (e.count("class") && e.at("class") == cls) out.push_back(e);
  return out;
}

inline double number(const Element& e, const std::string& attribute) {
  return std::stod(e.at(attribute));
}

inline bool tool_available(const std::string& tool) {
  return ::llmrun::testing::run_command("command -v " + tool + " >/dev/null").exit_code == 0;
}

// PNG width and height from the IHDR chunk (bytes 16..23, big-endian); {0, 0} if not a PNG.
inline std::pair<uint32_t, uint32_t> png_size(const std::string& png) {
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || png.compare(12, 4, "IHDR") != 0)
    return {0, 0};
  auto be32 = [&png](size_t at) {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<unsigned char>(png[at + k]);
    return v;
  };
  return {be32(16), be32(20)};
}

}  // namespace llmrun::eval::testing

// An external checker: skipped with a reason when missing, a failure under CI=true
// (CI installs it).
#define LLMRUN_REQUIRE_TOOL(tool, package)                                                        \
  do {                                                                                            \
    if (!::llmrun::eval::testing::tool_available(tool)) {                                         \
      if (::llmrun::testing::under_ci()) FAIL() << tool << " missing under CI (apt: " package ")"; \
      GTEST_SKIP() << tool << " not installed (apt: " package ")";                                \
    }                                                                                             \
  } while (0)
