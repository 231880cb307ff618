#pragma once
// One turn of a chat: who speaks and what they say (UTF-8, passed to the template as is).
#include <string>

namespace llmrun::chat {

// The roles every format accepts; anything else is refused when rendering.
inline constexpr const char* kSystem = "system";
inline constexpr const char* kUser = "user";
inline constexpr const char* kAssistant = "assistant";

struct Message {
  std::string role;     // "system", "user" or "assistant"
  std::string content;  // UTF-8
};

}  // namespace llmrun::chat
