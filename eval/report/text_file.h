#pragma once
// Writing a whole file at once, with errors that name it.
#include <string>

namespace llmrun::eval {

// Replaces the file at path with content; throws llmrun::Error "PATH: cannot write: why".
void write_text_file(const std::string& path, const std::string& content);

}  // namespace llmrun::eval
