#include "eval/logits_dump.h"

#include <cstdio>

#include "runtime/error.h"

namespace llmrun {

std::vector<float> prompt_logits(DecoderModel& model, const std::vector<int32_t>& ids) {
  KvCache cache = model.new_cache(int64_t(ids.size()));
  return model.forward(ids, cache, LogitRows::all);
}

void write_f32_file(const std::string& path, const std::vector<float>& values) {
  static_assert(sizeof(float) == 4, "float32 expected");
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail(path, ": cannot open for writing");
  // x86-64 and aarch64 are little-endian, so the in-memory bytes are the file format.
  const size_t written = std::fwrite(values.data(), sizeof(float), values.size(), f);
  const bool closed = std::fclose(f) == 0;
  if (written != values.size() || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail(path, ": write failed");
  }
}

}  // namespace llmrun
