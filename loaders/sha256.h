#pragma once
// SHA-256 (FIPS 180-4) of bytes and files, for provenance in quantized checkpoints and
// data-set checks.
#include <cstddef>
#include <cstdint>
#include <string>

namespace llmrun {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  std::string hex_digest();  // finishes; lower-case hex

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(const std::string& bytes);
// Streams the file; errors name the path.
std::string sha256_file(const std::string& path);

}  // namespace llmrun
