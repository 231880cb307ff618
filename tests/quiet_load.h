#pragma once
// LoadOptions for tests: a precision, and warnings dropped or collected.
#include <functional>
#include <string>

#include "runtime/model_loader.h"

namespace llmrun::testing {

inline LoadOptions quiet_load(const std::string& precision = "auto",
                              std::function<void(const std::string&)> log = [](const std::string&) {}) {
  LoadOptions o;
  o.precision = precision;
  o.log = std::move(log);
  return o;
}

}  // namespace llmrun::testing
