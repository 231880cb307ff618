#include "eval/data_path.h"

#include <cstdlib>
#include <filesystem>

namespace llmrun::eval {

std::string data_file_location(const std::string& name) {
  const char* dir = std::getenv("LLMRUN_DATA");
  return std::string(dir && *dir ? dir : "$LLMRUN_DATA") + "/" + name;
}

std::optional<std::string> data_file(const std::string& name) {
  const char* dir = std::getenv("LLMRUN_DATA");
  const std::string path = data_file_location(name);
  if (!dir || !*dir || !std::filesystem::exists(path)) return std::nullopt;
  return path;
}

}  // namespace llmrun::eval
