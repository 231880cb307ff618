// An importance matrix file (`llmeval imatrix`, read by --imatrix): safetensors with a
// marker, a token count and F32 [cols] tensors whose values must be finite and >= 0.
#include "fuzz/harness.h"
#include "runtime/importance_matrix.h"

namespace llmrun::fuzz {

void importance_matrix(const uint8_t* data, size_t size) {
  Scratch& s = Scratch::get();
  const std::string path = s.write("imatrix.safetensors", data, size);
  expect_clean([&] { (void)read_importance_matrix(path); });
}

}  // namespace llmrun::fuzz
