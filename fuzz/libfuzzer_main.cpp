// The libFuzzer entry of one harness: built once per harness with
// LLMRUN_FUZZ_ENTRY=llmrun::fuzz::<name> (fuzz/CMakeLists.txt).
#include "fuzz/harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  LLMRUN_FUZZ_ENTRY(data, size);
  return 0;
}
