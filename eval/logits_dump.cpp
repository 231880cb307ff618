#include "eval/logits_dump.h"

#include <cstdio>
#include <utility>

#include "runtime/error.h"

namespace llmrun {

std::vector<float> prompt_logits(DecoderModel& model, const std::vector<int32_t>& ids) {
  KvCache cache = model.new_cache(int64_t(ids.size()));
  return model.forward(ids, cache, LogitRows::all);
}

void write_f32_file(const std::string& path, const std::vector<float>& values) {
  F32FileWriter file(path);
  file.append(values);
  file.close();
}

F32FileWriter::F32FileWriter(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
  static_assert(sizeof(float) == 4, "float32 expected");
  file_ = std::fopen(tmp_.c_str(), "wb");
  if (!file_) fail(path_, ": cannot open for writing");
}

F32FileWriter::~F32FileWriter() {
  if (file_) {
    std::fclose(file_);
    std::remove(tmp_.c_str());
  }
}

void F32FileWriter::append(const std::vector<float>& values) {
  if (!file_) fail(path_, ": written after close");
  // x86-64 and aarch64 are little-endian, so the in-memory bytes are the file format.
  if (std::fwrite(values.data(), sizeof(float), values.size(), file_) != values.size()) fail(path_, ": write failed");
}

void F32FileWriter::close() {
  if (!file_) return;
  std::FILE* f = file_;
  file_ = nullptr;
  const bool closed = std::fclose(f) == 0;
  if (!closed || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    std::remove(tmp_.c_str());
    fail(path_, ": write failed");
  }
}

}  // namespace llmrun
