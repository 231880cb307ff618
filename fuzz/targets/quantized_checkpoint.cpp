// An `llmrun quantize` checkpoint's metadata (marker, versions, per-tensor formats as
// JSON inside the safetensors metadata).
#include "fuzz/harness.h"
#include "loaders/safetensors.h"
#include "runtime/quantized_checkpoint.h"

namespace llmrun::fuzz {

void quantized_checkpoint(const uint8_t* data, size_t size) {
  Scratch& s = Scratch::get();
  s.write("quantized/model.safetensors", data, size);
  expect_clean([&] {
    const Checkpoint checkpoint = Checkpoint::open_dir(s.dir() + "/quantized");
    (void)quantized_tensor_formats(checkpoint);
  });
}

}  // namespace llmrun::fuzz
