#pragma once
// tokenizer.json "decoder": turns the token strings of some ids back into text
// (ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence).
#include <memory>
#include <string>
#include <vector>

#include "loaders/tokenizer/json_fields.h"

namespace llmrun::tok {

struct DecodeState {
  // The tokens continue earlier text: rules for the start of a text (Strip's leading
  // characters, Metaspace's first token) do not apply.
  bool continuation = false;
  // An earlier step joined all tokens into one (Fuse, ByteLevel): token 0 is the text.
  bool fused = false;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // HF's decode_chain: rewrites the token list (valid UTF-8 in and out).
  virtual void apply(std::vector<std::string>& tokens, DecodeState& state) const = 0;
};

// null -> nullptr (HF then joins tokens with spaces). Unsupported types fail naming `where`.
std::unique_ptr<Decoder> make_decoder(const Json& spec, const std::string& where);

}  // namespace llmrun::tok
