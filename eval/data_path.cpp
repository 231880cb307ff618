#include "eval/data_path.h"

#include <cstdlib>
#include <filesystem>

#include "runtime/error.h"

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

std::string calibration_text_path(const std::string& given) {
  if (!given.empty()) return given;
  if (auto found = data_file("wiki.test.raw")) return *found;
  fail("no calibration text at ", data_file_location("wiki.test.raw"),
       ": pass --calib FILE or set LLMRUN_DATA to a folder holding wiki.test.raw (WikiText-2 raw test split)");
}

std::string cache_folder(const std::string& sub) {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = xdg && *xdg ? xdg : std::string(home ? home : ".") + "/.cache";
  return base + "/llmrun/" + sub;
}

}  // namespace llmrun::eval
