#include "runtime/cli/think_filter.h"

#include <algorithm>

namespace llmrun::cli {
namespace {

constexpr const char* kOpen = "<think>";
constexpr const char* kClose = "</think>";

// Bytes at the end of `s` that could begin `tag`.
size_t partial_tag(const std::string& s, const std::string& tag) {
  for (size_t k = std::min(tag.size() - 1, s.size()); k > 0; --k)
    if (s.compare(s.size() - k, k, tag, 0, k) == 0) return k;
  return 0;
}

}  // namespace

std::string ThinkFilter::push(const std::string& chunk) {
  if (!hide_) return chunk;
  held_ += chunk;
  std::string out;
  for (;;) {
    const std::string tag = inside_ ? kClose : kOpen;
    const size_t at = held_.find(tag);
    if (at == std::string::npos) break;
    if (!inside_) out += held_.substr(0, at);
    held_.erase(0, at + tag.size());
    inside_ = !inside_;
    if (!inside_) seen_end_ = true;
  }
  if (seen_end_ && !inside_) {  // drop the newlines that follow </think>
    const size_t text = held_.find_first_not_of("\n");
    if (text == std::string::npos) {
      held_.clear();
      return out;
    }
    held_.erase(0, text);
    seen_end_ = false;
  }
  const size_t keep = partial_tag(held_, inside_ ? kClose : kOpen);
  if (!inside_) out += held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

std::string ThinkFilter::flush() {
  std::string out = inside_ ? "" : held_;
  held_.clear();
  return out;
}

}  // namespace llmrun::cli
