#pragma once
// libFuzzer harnesses for every parser of untrusted input (fuzz/README.md). Each entry
// takes raw bytes and runs one parser the way llmrun does; a clean llmrun::Error is the
// expected answer to bad input, anything else (another exception, a sanitizer report, a
// crash, a hang) is a finding. The same entries replay fuzz/regressions/<name>/* in
// tests/fuzz (every build, ASan included).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/error.h"

namespace llmrun::fuzz {

using Entry = void (*)(const uint8_t* data, size_t size);

// One per harness, defined in fuzz/targets/<name>.cpp.
void safetensors(const uint8_t* data, size_t size);        // model.safetensors
void safetensors_index(const uint8_t* data, size_t size);  // model.safetensors.index.json
void gguf(const uint8_t* data, size_t size);               // .gguf -> config/tokenizer
void tokenizer_json(const uint8_t* data, size_t size);     // tokenizer.json
void tokenizer_model(const uint8_t* data, size_t size);    // SentencePiece tokenizer.model
void config(const uint8_t* data, size_t size);             // config.json
void generation_config(const uint8_t* data, size_t size);  // generation_config.json
void tokenizer_config(const uint8_t* data, size_t size);   // tokenizer_config.json, chat template
void quantized_checkpoint(const uint8_t* data, size_t size);  // llmrun quantize metadata
void lambada(const uint8_t* data, size_t size);            // LAMBADA jsonl
void precision_plan(const uint8_t* data, size_t size);     // @plan.json (auto: writes it)
void importance_matrix(const uint8_t* data, size_t size);  // --imatrix file

struct Harness {
  const char* name;  // also the folder under fuzz/regressions and fuzz/dicts
  Entry entry;
};

inline constexpr Harness kHarnesses[] = {
    {"safetensors", safetensors},
    {"safetensors_index", safetensors_index},
    {"gguf", gguf},
    {"tokenizer_json", tokenizer_json},
    {"tokenizer_model", tokenizer_model},
    {"config", config},
    {"generation_config", generation_config},
    {"tokenizer_config", tokenizer_config},
    {"quantized_checkpoint", quantized_checkpoint},
    {"lambada", lambada},
    {"precision_plan", precision_plan},
    {"importance_matrix", importance_matrix},
};

// Runs `body`, swallowing llmrun::Error (a clean refusal). Any other exception escapes:
// libFuzzer reports it as a crash, the regression test as a failure.
template <typename Body>
void expect_clean(Body&& body) {
  try {
    body();
  } catch (const llmrun::Error&) {
  }
}

// A private scratch folder for parsers that read paths (created once per process,
// removed at exit). write("sub/name", ...) replaces a file (creating "sub/") and returns
// its path; each harness keeps to its own "sub/".
class Scratch {
 public:
  static Scratch& get();
  const std::string& dir() const { return dir_; }
  std::string write(const std::string& name, const uint8_t* data, size_t size);
  std::string write(const std::string& name, std::string_view text) {
    return write(name, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  }
  void remove(const std::string& name);
  ~Scratch();

 private:
  Scratch();
  std::string dir_;
};

}  // namespace llmrun::fuzz
