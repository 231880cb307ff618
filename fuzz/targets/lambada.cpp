// LAMBADA jsonl: one {"text": ...} object per line, split into context and last word.
#include "eval/lambada.h"
#include "fuzz/harness.h"

namespace llmrun::fuzz {

void lambada(const uint8_t* data, size_t size) {
  const std::string path = Scratch::get().write("lambada/lambada_test.jsonl", data, size);
  expect_clean([&] { (void)eval::load_lambada(path); });
}

}  // namespace llmrun::fuzz
