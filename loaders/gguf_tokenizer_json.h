#pragma once
// A GGUF file's tokenizer (tokenizer.ggml.*) written as the Hugging Face tokenizer.json
// and tokenizer_config.json the original model shipped, so the one tokenizer.json
// implementation (loaders/tokenizer) runs it and `llmrun quantize` can write it out.
// Supported: tokenizer.ggml.model "gpt2" (byte-level BPE: tokens + merges, with the
// pre-tokenizer that tokenizer.ggml.pre names); others are an error naming the value.
#include <string>

#include <nlohmann/json.hpp>

#include "loaders/gguf.h"

namespace llmrun {

nlohmann::ordered_json gguf_tokenizer_json(const GgufFile& file);
// chat_template, bos/eos/pad tokens, add_bos_token.
nlohmann::ordered_json gguf_tokenizer_config(const GgufFile& file);

}  // namespace llmrun
