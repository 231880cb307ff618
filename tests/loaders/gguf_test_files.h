#pragma once
// Builds GGUF files byte by byte for the reader tests, so broken files (wrong counts,
// bad types, stray offsets) can be made without a writer that would refuse them.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace llmrun::testing {

class GgufBytes {
 public:
  GgufBytes& raw(const std::string& bytes) {
    out_ += bytes;
    return *this;
  }
  template <typename T>
  GgufBytes& put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out_.append(b, sizeof(T));
    return *this;
  }
  GgufBytes& u32(uint32_t v) { return put(v); }
  GgufBytes& u64(uint64_t v) { return put(v); }
  GgufBytes& str(const std::string& s) {
    u64(s.size());
    return raw(s);
  }
  // "GGUF", version, tensor count, kv count.
  GgufBytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return raw("GGUF").u32(version).u64(n_tensors).u64(n_kv);
  }
  GgufBytes& kv_u32(const std::string& key, uint32_t v) { return str(key).u32(4).u32(v); }
  GgufBytes& kv_str(const std::string& key, const std::string& v) { return str(key).u32(8).str(v); }
  GgufBytes& kv_f32(const std::string& key, float v) { return str(key).u32(6).put(v); }
  GgufBytes& kv_strings(const std::string& key, const std::vector<std::string>& v) {
    str(key).u32(9).u32(8).u64(v.size());
    for (const std::string& s : v) str(s);
    return *this;
  }
  // name, n_dims, ne..., type, offset
  GgufBytes& tensor(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type, uint64_t offset) {
    str(name).u32(uint32_t(ne.size()));
    for (uint64_t d : ne) u64(d);
    return u32(type).u64(offset);
  }
  GgufBytes& pad_to(uint64_t alignment) {
    while (out_.size() % alignment) out_.push_back('\0');
    return *this;
  }
  GgufBytes& f32s(const std::vector<float>& v) {
    for (float f : v) put(f);
    return *this;
  }
  size_t size() const { return out_.size(); }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

}  // namespace llmrun::testing
