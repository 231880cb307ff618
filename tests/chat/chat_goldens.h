#pragma once
// tests/chat/data/chat_goldens.json (scripts/make_chat_goldens.py): prompts rendered by HF
// transformers' apply_chat_template, read once per test binary.
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/chat/chat_format.h"
#include "runtime/chat/message.h"

namespace llmrun::chat::testing {

inline const nlohmann::json& goldens() {
  static const nlohmann::json data = [] {
    std::ifstream in(LLMRUN_CHAT_GOLDENS);
    return in ? nlohmann::json::parse(in) : nlohmann::json();
  }();
  return data;
}

// The ChatFormat a golden template must be rendered with (and detected as).
inline ChatFormat golden_format(const std::string& template_name) {
  const nlohmann::json& spec = goldens().at("templates").at(template_name).at("format");
  ChatFormat format = parse_chat_format(spec.at("name").get<std::string>());
  format.default_system = spec.at("default_system").get<std::string>();
  format.generation_prompt_always = spec.at("generation_prompt_always").get<bool>();
  return format;
}

inline std::vector<Message> golden_messages(const nlohmann::json& list) {
  std::vector<Message> messages;
  for (const auto& m : list)
    messages.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
  return messages;
}

}  // namespace llmrun::chat::testing
