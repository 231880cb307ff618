#include "loaders/checkpoint_fingerprint.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

#include "loaders/sha256.h"
#include "runtime/error.h"

namespace llmrun {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kEdgeBytes = int64_t(1) << 20;
constexpr int64_t kSampleBytes = 4096;
constexpr int kSamples = 64;

void hash_range(std::ifstream& in, const std::string& path, int64_t offset, int64_t n, Sha256& h) {
  std::vector<char> buf(size_t(std::max<int64_t>(n, 0)));
  in.seekg(offset);
  if (!in.read(buf.data(), std::streamsize(buf.size())))
    fail(path, ": cannot read ", n, " bytes at offset ", offset, " (file changed while reading?)");
  h.update(buf.data(), buf.size());
}

void hash_file(const fs::path& file, Sha256& h) {
  const std::string path = file.string();
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) fail(path, ": cannot read its size: ", ec.message());
  const std::string name = file.filename().string() + "\n" + std::to_string(size) + "\n";
  h.update(name.data(), name.size());
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(path, ": cannot open");
  const int64_t n = int64_t(size);
  if (n <= 2 * kEdgeBytes + kSamples * kSampleBytes) return hash_range(in, path, 0, n, h);
  hash_range(in, path, 0, kEdgeBytes, h);
  const int64_t middle = n - 2 * kEdgeBytes - kSampleBytes;
  for (int i = 0; i < kSamples; ++i) hash_range(in, path, kEdgeBytes + middle * i / (kSamples - 1), kSampleBytes, h);
  hash_range(in, path, n - kEdgeBytes, kEdgeBytes, h);
}

bool is_model_file(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".safetensors" || ext == ".gguf" || p.filename() == "config.json";
}

}  // namespace

std::string checkpoint_fingerprint(const std::string& path) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec))
      if (e.is_regular_file() && is_model_file(e.path())) files.push_back(e.path());
    if (ec) fail(path, ": cannot list: ", ec.message());
  } else if (fs::is_regular_file(path, ec)) {
    files.push_back(path);
  } else {
    fail(path, ": no such checkpoint folder or file");
  }
  if (files.empty()) fail(path, ": no *.safetensors, *.gguf or config.json to identify the checkpoint by");
  std::sort(files.begin(), files.end());
  Sha256 h;
  for (const fs::path& f : files) hash_file(f, h);
  return h.hex_digest();
}

}  // namespace llmrun
