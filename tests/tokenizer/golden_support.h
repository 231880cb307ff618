#pragma once
// Reading the goldens written by scripts/make_tokenizer_goldens.py.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace llmrun::testing {

inline std::string tokenizer_data(const std::string& rel) {
  return std::string(LLMRUN_TOKENIZER_TEST_DATA) + "/" + rel;
}

inline std::string base64_decode(const std::string& in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    const int v = val(c);
    if (v < 0) continue;  // '=' padding
    buf = ((buf << 6) | static_cast<unsigned>(v)) & 0xFFFFFFu;  // at most 24 bits pending
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

struct GoldenCase {
  std::string name;
  std::string raw;  // exact input bytes
  std::vector<int32_t> ids;
  std::vector<int32_t> ids_special;
  std::optional<std::string> decode;       // HF decode(ids, skip=false); nullopt = the input
  std::optional<std::string> decode_skip;  // HF decode(ids_special, skip=true)
};

inline nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(read_file(path));
}

// Corpus cases from corpus.json, wikitext lines from the fixture, ids from the goldens.
struct Goldens {
  std::string tokenizer;  // fixture-relative path, or "data:<file>"
  std::vector<GoldenCase> cases;
};

inline GoldenCase make_case(const nlohmann::json& g, std::string raw) {
  GoldenCase c;
  c.name = g.at("name").get<std::string>();
  c.raw = std::move(raw);
  c.ids = g.at("ids").get<std::vector<int32_t>>();
  c.ids_special = g.at("ids_special").is_null() ? c.ids : g.at("ids_special").get<std::vector<int32_t>>();
  if (!g.at("decode").is_null()) c.decode = g.at("decode").get<std::string>();
  if (!g.at("decode_skip").is_null()) c.decode_skip = g.at("decode_skip").get<std::string>();
  return c;
}

inline Goldens load_goldens(const std::string& name, const std::string& wikitext) {
  const auto corpus = read_json(tokenizer_data("corpus.json"));
  const auto doc = read_json(tokenizer_data("goldens_" + name + ".json"));
  Goldens out;
  out.tokenizer = doc.at("tokenizer").get<std::string>();
  const auto& cases = doc.at("cases");
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string raw = base64_decode(corpus.at(i).at("base64").get<std::string>());
    out.cases.push_back(make_case(cases[i], raw));
  }
  std::vector<std::string> lines;
  size_t start = 0;
  const auto& wl = doc.at("wikitext_lines");
  while (lines.size() < wl.size()) {
    const size_t nl = wikitext.find('\n', start);
    lines.push_back(wikitext.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::string joined;
  for (size_t i = 0; i < wl.size() && i < lines.size(); ++i) {
    out.cases.push_back(make_case(wl[i], lines[i]));
    joined += (i ? "\n" : "") + lines[i];
  }
  out.cases.push_back(make_case(doc.at("wikitext_joined"), joined));
  return out;
}

}  // namespace llmrun::testing
