#pragma once
// Raw logits of a prompt for tests and external checks.
#include <cstdio>
#include <string>
#include <vector>

#include "runtime/models/decoder.h"

namespace llmrun {

// Logits at every position of ids, [ids.size(), vocab] fp32 row-major.
std::vector<float> prompt_logits(DecoderModel& model, const std::vector<int32_t>& ids);

// Writes values as little-endian float32, no header; errors name the path.
void write_f32_file(const std::string& path, const std::vector<float>& values);

// The same, appended piece by piece (logits of many prompts need not fit in memory at
// once): written to PATH.tmp, renamed to PATH by close(); never closed (an error on the
// way), the partial file is removed.
class F32FileWriter {
 public:
  explicit F32FileWriter(std::string path);
  ~F32FileWriter();
  F32FileWriter(const F32FileWriter&) = delete;
  F32FileWriter& operator=(const F32FileWriter&) = delete;
  void append(const std::vector<float>& values);
  void close();

 private:
  std::string path_, tmp_;
  std::FILE* file_ = nullptr;
};

}  // namespace llmrun
