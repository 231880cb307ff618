// A .gguf file: header, metadata, tensor infos; small tensors dequantized; then what
// `--model file.gguf` builds from the metadata (config.json, generation_config.json,
// tokenizer.json, tokenizer_config.json texts), each run through its own parser.
#include "fuzz/harness.h"
#include "loaders/gguf.h"
#include "loaders/gguf_dequant.h"
#include "loaders/gguf_model.h"
#include "loaders/hf_config.h"
#include "loaders/tokenizer/hf_json_tokenizer.h"
#include "loaders/tokenizer/tokenizer_json_reader.h"

namespace llmrun::fuzz {

void gguf(const uint8_t* data, size_t size) {
  const std::string path = Scratch::get().write("gguf/model.gguf", data, size);
  expect_clean([&] {
    auto file = GgufFile::open(path);
    for (const GgufTensor& t : file->tensors()) {
      if (t.numel() > 4096) continue;
      expect_clean([&] { (void)gguf_to_f32(t); });
    }
    for (const auto& named : gguf_hf_files(*file)) {
      const std::string& name = named.first;
      const std::string& text = named.second;
      if (name == "config.json") expect_clean([&] { (void)parse_model_config(text, path + " (config)"); });
      if (name == "tokenizer.json") {
        expect_clean([&] {
          tok::HfJsonTokenizer tokenizer(tok::read_tokenizer_json(text, path), path);
          (void)tokenizer.decode(tokenizer.encode("Hello, world! 123 \xe4\xbd\xa0\xe5\xa5\xbd", true), false);
        });
      }
    }
  });
}

}  // namespace llmrun::fuzz
