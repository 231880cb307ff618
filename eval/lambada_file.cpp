// Reading LAMBADA's jsonl (untrusted input, fuzzed by fuzz/targets/lambada.cpp); kept
// apart from the scoring so the parser links without the model runtime.
#include <fstream>

#include <nlohmann/json.hpp>

#include "eval/lambada.h"
#include "runtime/error.h"

namespace llmrun::eval {

LambadaPassage split_passage(const std::string& text) {
  // The task's Jinja: text.split(' ')[:-1] | join(' ') and ' ' + text.split(' ')[-1];
  // splitting on single spaces and re-joining is cutting at the last space.
  const size_t space = text.rfind(' ');
  if (space == std::string::npos) return {"", " " + text};
  return {text.substr(0, space), " " + text.substr(space + 1)};
}

std::vector<LambadaPassage> load_lambada(const std::string& path, int64_t limit) {
  std::ifstream in(path);
  if (!in) fail(path, ": cannot open");
  std::vector<LambadaPassage> passages;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string())
      fail(path, ":", n, ": expected a JSON object with a \"text\" string");
    passages.push_back(split_passage(j["text"].get<std::string>()));
    if (limit > 0 && int64_t(passages.size()) == limit) break;
  }
  if (passages.empty()) fail(path, ": no passages");
  return passages;
}

}  // namespace llmrun::eval
