#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "fuzz/harness.h"

namespace llmrun::fuzz {

Scratch& Scratch::get() {
  static Scratch scratch;
  return scratch;
}

Scratch::Scratch() {
  // /dev/shm keeps the per-input file writes off the disk.
  const char* tmp = std::getenv("TMPDIR");
  std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (tmp && *tmp ? tmp : "/tmp");
  std::string tmpl = base + "/llmrun-fuzz-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a scratch folder in " + base);
  dir_ = tmpl;
}

Scratch::~Scratch() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string Scratch::write(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = dir_ + "/" + name;
  const size_t slash = name.rfind('/');
  if (slash != std::string::npos) std::filesystem::create_directories(dir_ + "/" + name.substr(0, slash));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write " + path);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) break;
    done += size_t(n);
  }
  ::close(fd);
  if (done != size) throw std::runtime_error("short write to " + path);
  return path;
}

void Scratch::remove(const std::string& name) { ::unlink((dir_ + "/" + name).c_str()); }

}  // namespace llmrun::fuzz
