#pragma once
// BOS / EOS / pad ids and add_bos_token from a model folder's tokenizer_config.json,
// generation_config.json and config.json (each optional).
#include <string>

#include "loaders/tokenizer/tokenizer.h"

namespace llmrun::tok {

// Starts from `defaults` (what the tokenizer file itself says) and applies the folder's
// files: tokenizer_config.json first, then generation_config.json, then config.json.
// EOS ids from all of them are kept (generation stops at any). Throws llmrun::Error
// naming the file and key when a file is malformed or names an unknown token.
SpecialTokenIds read_special_tokens(const std::string& folder, const Tokenizer& tokenizer,
                                    SpecialTokenIds defaults);

}  // namespace llmrun::tok
