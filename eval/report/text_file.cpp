#include "eval/report/text_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "runtime/error.h"

namespace llmrun::eval {

void write_text_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(path, ": cannot write: ", std::strerror(errno));
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) fail(path, ": cannot write: ", std::strerror(errno));
}

}  // namespace llmrun::eval
