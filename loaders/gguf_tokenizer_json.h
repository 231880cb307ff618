#pragma once
// A GGUF file's tokenizer (tokenizer.ggml.*) written as the files the original model
// shipped, so the project's tokenizers (loaders/tokenizer) run it and `llmrun quantize`
// can write it out:
//   "gpt2"  (byte-level BPE: tokens + merges, with the pre-tokenizer that
//           tokenizer.ggml.pre names) -> tokenizer.json;
//   "llama" (SentencePiece BPE: tokens, scores, token types) -> tokenizer.model, a
//           SentencePiece ModelProto run by libsentencepiece.
// Other values of tokenizer.ggml.model are an error naming the value.
#include <string>

#include <nlohmann/json.hpp>

#include "loaders/gguf.h"

namespace llmrun {

// tokenizer.ggml.model, checked: "gpt2" or "llama".
std::string gguf_tokenizer_model(const GgufFile& file);
// "gpt2" only.
nlohmann::ordered_json gguf_tokenizer_json(const GgufFile& file);
// "llama" only: the serialized SentencePiece ModelProto (a tokenizer.model file). Pieces
// with their scores and types (llama.cpp's token types are SentencePiece's piece types:
// 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte); BPE; byte fallback
// when byte pieces exist; normalizer "identity" with tokenizer.ggml.add_space_prefix
// (default true) and tokenizer.ggml.remove_extra_whitespaces (default false), as
// llama.cpp's converter writes them from the original normalizer_spec.
std::string gguf_sentencepiece_model(const GgufFile& file);
// chat_template, bos/eos/pad tokens, add_bos_token.
nlohmann::ordered_json gguf_tokenizer_config(const GgufFile& file);

}  // namespace llmrun
