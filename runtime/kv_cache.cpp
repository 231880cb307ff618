#include "runtime/kv_cache.h"

#include <atomic>

#include "runtime/error.h"

namespace llmrun {

KvCache::KvCache(Backend& backend, int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity,
                 TensorType dtype)
    : storage_(backend.alloc_kv(layers, kv_heads, head_dim, capacity, dtype)) {
  static std::atomic<uint64_t> caches{0};
  serial_ = ++caches;
}

void KvCache::check_room(int64_t n) const {
  if (n > remaining())
    fail("context full: ", size_, " of ", capacity(), " positions used, ", n,
         " more needed (raise --ctx or reset the conversation)");
}

}  // namespace llmrun
