#pragma once
// One error type for library code: a message that names the file, tensor or flag at
// fault. CLIs catch it, print it on one line and exit non-zero.
#include <sstream>
#include <stdexcept>
#include <string>

namespace llmrun {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}
}  // namespace detail

// Throws llmrun::Error with the streamed parts as its message.
template <typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw Error(detail::concat(parts...));
}

}  // namespace llmrun

// For internal invariants (not user input): reports where, what, and the values given.
// Usage: LLMRUN_CHECK(rows > 0, "rows=", rows);
#define LLMRUN_CHECK(cond, ...)                                                      \
  do {                                                                               \
    if (!(cond))                                                                     \
      ::llmrun::fail(__FILE__, ":", __LINE__, ": check failed: ", #cond, ": ", __VA_ARGS__); \
  } while (0)
