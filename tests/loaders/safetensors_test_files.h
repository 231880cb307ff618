#pragma once
// Builds safetensors files byte by byte for the loader tests, so broken files can be
// made without going through the writer under test.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "runtime/error.h"

namespace llmrun::testing {

// A fresh directory under $TMPDIR, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "llmrun-st-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// u64 little-endian header length (the real length unless `claimed_len` overrides it),
// the header text, then the data bytes.
inline std::string raw_safetensors(const std::string& header, const std::string& data = "",
                                   std::optional<uint64_t> claimed_len = std::nullopt) {
  uint64_t len = claimed_len.value_or(header.size());
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(char(uint8_t(len >> (8 * i))));
  return out + header + data;
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out) throw std::runtime_error("cannot write test file " + path);
}

inline std::string f32_bytes(std::initializer_list<float> values) {
  std::string out(values.size() * 4, '\0');
  size_t i = 0;
  for (float v : values) std::memcpy(&out[4 * i++], &v, 4);
  return out;
}

inline uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// The llmrun::Error message `fn` throws; a test failure if it throws nothing. Any other
// exception type escapes and fails the test too.
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const llmrun::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an llmrun::Error, nothing was thrown";
  return "";
}

// Every word must appear in the message, and the message must be one line.
inline void expect_mentions(const std::string& message, std::initializer_list<std::string> words) {
  EXPECT_EQ(message.find('\n'), std::string::npos) << "multi-line error: " << message;
  for (const std::string& w : words) {
    EXPECT_NE(message.find(w), std::string::npos) << "error lacks \"" << w << "\": " << message;
  }
}

}  // namespace llmrun::testing
