// model.safetensors: header (JSON), tensor entries, metadata, then every small tensor
// read as fp32 the way the model loader reads weights.
#include "fuzz/harness.h"
#include "loaders/safetensors.h"

namespace llmrun::fuzz {

void safetensors(const uint8_t* data, size_t size) {
  const std::string path = Scratch::get().write("safetensors/model.safetensors", data, size);
  expect_clean([&] {
    auto file = SafetensorsFile::open(path);
    for (const TensorView& t : file->tensors()) {
      if (t.nbytes > (1u << 16)) continue;  // the bytes are in the input; keep runs fast
      expect_clean([&] { (void)to_f32(t); });
    }
  });
}

}  // namespace llmrun::fuzz
