#pragma once
// A SentencePiece .model file (Llama 2, TinyStories models) through libsentencepiece.
// Encoding is the library's; decoding follows SentencePiece's own rules (one leading
// space dropped at the start of a text, byte pieces decoded per character, U+FFFD per
// bad byte) so that decode_continuation() can keep that space.
#include <memory>
#include <string>

#include "loaders/tokenizer/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace llmrun::tok {

// A serialized ModelProto held in memory (a GGUF file's vocabulary, loaders/gguf_tokenizer_json).
struct SerializedModel {
  std::string bytes;
};

class SentencePieceTokenizer final : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(const std::string& path);
  // `name` stands for the path in error messages.
  SentencePieceTokenizer(const std::string& name, const SerializedModel& model);
  ~SentencePieceTokenizer() override;

  // Adds BOS/EOS when add_special_tokens and add_bos (default true) / add_eos (default
  // false) say so. Control pieces written in the text ("<s>") stay plain text, as in
  // SentencePiece.
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override;
  size_t vocab_size() const override;
  std::string id_to_piece(int32_t id) const override;
  std::optional<int32_t> piece_to_id(std::string_view piece) const override;
  // Control pieces (<s>, </s>).
  bool is_special(int32_t id) const override;

 protected:
  // Control pieces print nothing when skip_special, else their piece ("<s>").
  std::string decode_text(const std::vector<int32_t>& ids, bool skip_special,
                          bool continuation) const override;

 private:
  void load(const std::string& model);

  std::string path_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  // normalizer_spec of the model: whether encoding adds a leading "▁" / collapses spaces.
  bool add_dummy_prefix_ = true;
  bool remove_extra_whitespaces_ = true;
};

}  // namespace llmrun::tok
