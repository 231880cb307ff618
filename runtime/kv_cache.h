#pragma once
// One sequence's key/value cache: backend storage preallocated to a fixed context, and
// how much of it is filled.
#include <cstdint>
#include <memory>

#include "runtime/backend.h"

namespace llmrun {

// Bytes of a KV cache (keys and values) of `capacity` positions; throws llmrun::Error when
// the product overflows (sizes come from config files and flags).
int64_t kv_cache_bytes(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity, TensorType dtype);

class KvCache {
 public:
  // Throws llmrun::Error, before allocating, when the cache would not fit the backend's
  // free memory (saying how large a context would).
  KvCache(Backend& backend, int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity, TensorType dtype);
  int64_t size() const { return size_; }
  int64_t capacity() const { return storage_->capacity(); }
  int64_t remaining() const { return capacity() - size_; }
  KvStorage& storage() { return *storage_; }
  // Distinct for every cache made in this process (kept when moved): what a captured decode
  // step is valid for. An address is not: a new cache may be allocated where a freed one was.
  uint64_t serial() const { return serial_; }
  // Throws llmrun::Error (saying how full it is) when n more positions do not fit.
  void check_room(int64_t n) const;
  void advance(int64_t n) { size_ += n; }
  void clear() { size_ = 0; }
  // Forgets positions from n on (they are overwritten by the next forward).
  void truncate(int64_t n) { size_ = n < size_ ? n : size_; }

 private:
  std::unique_ptr<KvStorage> storage_;
  uint64_t serial_;
  int64_t size_ = 0;
};

}  // namespace llmrun
