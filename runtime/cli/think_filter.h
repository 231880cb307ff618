#pragma once
// Hides a reasoning model's <think>...</think> block from streamed text (--think hide),
// even when the tags arrive split across chunks.
#include <string>

namespace llmrun::cli {

class ThinkFilter {
 public:
  explicit ThinkFilter(bool hide) : hide_(hide) {}
  // The part of `chunk` to show; holds back a possible partial tag.
  std::string push(const std::string& chunk);
  std::string flush();  // what is held at the end (outside a think block)

 private:
  bool hide_;
  bool inside_ = false;
  bool seen_end_ = false;  // text after </think> starts with blank lines the template adds
  std::string held_;
};

}  // namespace llmrun::cli
