#include "runtime/kv_cache.h"

#include <atomic>
#include <iomanip>
#include <new>
#include <sstream>
#include <string>

#include "runtime/error.h"

namespace llmrun {

int64_t kv_cache_bytes(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity, TensorType dtype) {
  int64_t bytes = 2 * tensor_type_bytes(dtype);  // keys and values
  for (int64_t f : {layers, kv_heads, head_dim, capacity}) {
    if (f <= 0) fail("KV cache: a size of ", f, " (layers ", layers, ", kv heads ", kv_heads, ", head_dim ", head_dim,
                     ", context ", capacity, ")");
    if (bytes > INT64_MAX / f)
      fail("KV cache: a context of ", capacity, " tokens over ", layers, " layers x ", kv_heads, " kv heads x ",
           head_dim, " head_dim overflows 64-bit sizes: lower --ctx");
    bytes *= f;
  }
  return bytes;
}

namespace {

std::string gib(int64_t bytes) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(bytes < (int64_t(1) << 30) ? 3 : 1) << double(bytes) / double(int64_t(1) << 30)
    << " GiB";
  return s.str();
}

std::unique_ptr<KvStorage> alloc_checked(Backend& backend, int64_t layers, int64_t kv_heads, int64_t head_dim,
                                         int64_t capacity, TensorType dtype) {
  const int64_t bytes = kv_cache_bytes(layers, kv_heads, head_dim, capacity, dtype);
  const int64_t free = backend.free_memory_bytes();
  if (bytes > free) {
    const int64_t per_token = bytes / capacity;
    fail("KV cache for a context of ", capacity, " tokens needs ", gib(bytes), " (", layers, " layers x ", kv_heads,
         " kv heads x ", head_dim, " x 2 x ", tensor_type_bytes(dtype), " bytes per token position), more than the ",
         gib(free), " free on ", backend.name(), ": lower --ctx (about ", free / per_token, " tokens fit)");
  }
  try {
    return backend.alloc_kv(layers, kv_heads, head_dim, capacity, dtype);
  } catch (const std::bad_alloc&) {
    fail("KV cache for a context of ", capacity, " tokens: cannot allocate ", gib(bytes), " on ", backend.name(),
         ": lower --ctx");
  }
}

}  // namespace

KvCache::KvCache(Backend& backend, int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity,
                 TensorType dtype)
    : storage_(alloc_checked(backend, layers, kv_heads, head_dim, capacity, dtype)) {
  static std::atomic<uint64_t> caches{0};
  serial_ = ++caches;
}

void KvCache::check_room(int64_t n) const {
  if (n > remaining())
    fail("context full: ", size_, " of ", capacity(), " positions used, ", n,
         " more needed (raise --ctx or reset the conversation)");
}

}  // namespace llmrun
