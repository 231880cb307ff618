#pragma once
#include <string>

namespace llmrun::testing {

// A name gtest accepts for a parameterized case: "fp6-e2m3" -> "fp6_e2m3".
inline std::string test_name(std::string name) {
  for (char& ch : name)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))) ch = '_';
  return name;
}

}  // namespace llmrun::testing
