#pragma once
// A Hugging Face tokenizer.json with a BPE model: byte-level (GPT-2, Qwen, Llama 3) or
// SentencePiece-style (Llama 2: Metaspace / Prepend+Replace, byte fallback).
// Pipeline, as in HF: added tokens cut out of the raw text -> normalizer -> added tokens
// that match normalized text -> pre-tokenizer -> BPE per word -> post-processor.
#include <memory>
#include <string>
#include <unordered_map>

#include "loaders/tokenizer/added_tokens.h"
#include "loaders/tokenizer/bpe_model.h"
#include "loaders/tokenizer/decoders.h"
#include "loaders/tokenizer/json_fields.h"
#include "loaders/tokenizer/normalizers.h"
#include "loaders/tokenizer/post_processor.h"
#include "loaders/tokenizer/pre_tokenizers.h"
#include "loaders/tokenizer/tokenizer.h"
#include "loaders/tokenizer/tokenizer_json_reader.h"

namespace llmrun::tok {

class HfJsonTokenizer final : public Tokenizer {
 public:
  // `file` is the parsed file; `name` (its path) prefixes errors.
  HfJsonTokenizer(const TokenizerJson& file, const std::string& name);
  static std::unique_ptr<HfJsonTokenizer> from_file(const std::string& path);

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override;
  size_t vocab_size() const override { return vocab_size_; }
  std::string id_to_piece(int32_t id) const override;
  std::optional<int32_t> piece_to_id(std::string_view piece) const override;
  bool is_special(int32_t id) const override;

 protected:
  std::string decode_text(const std::vector<int32_t>& ids, bool skip_special,
                          bool continuation) const override;

 private:
  // Normalized-side pipeline for one stretch of text between raw added tokens.
  void encode_stretch(std::string text, bool at_text_start, std::vector<int32_t>& ids) const;

  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<AddedTokenMatcher> raw_added_;         // tokens with normalized=false
  std::unique_ptr<AddedTokenMatcher> normalized_added_;  // tokens with normalized=true
  std::unordered_map<int32_t, AddedToken> added_by_id_;
  std::unordered_map<std::string, int32_t> added_by_content_;
  size_t vocab_size_ = 0;
};

}  // namespace llmrun::tok
