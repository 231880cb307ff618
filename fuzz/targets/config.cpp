// config.json -> ModelConfig (both transformers layouts, rope parameters, layer types).
#include "fuzz/harness.h"
#include "loaders/hf_config.h"

namespace llmrun::fuzz {

void config(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  expect_clean([&] { (void)parse_model_config(text, "config.json"); });
}

}  // namespace llmrun::fuzz
