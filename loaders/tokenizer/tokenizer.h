#pragma once
// Text <-> token ids, giving the ids Hugging Face `tokenizers` (tokenizer.json) or
// SentencePiece (.model) give for the same text.
//
//   auto tok = llmrun::load_tokenizer("models/qwen3-4b");      // folder or file
//   std::vector<int32_t> ids = tok->encode("Hello", /*add_special_tokens=*/true);
//   std::string text = tok->decode(ids, /*skip_special=*/true);
//
// Input text is UTF-8; invalid bytes are read as U+FFFD, one per maximal invalid
// subpart, i.e. exactly what Python's bytes.decode("utf-8", errors="replace") hands
// to HF. decode() always returns valid UTF-8.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmrun {

// Ids the model treats specially. Filled from the tokenizer file and, in the folder
// case, from tokenizer_config.json, generation_config.json and config.json.
struct SpecialTokenIds {
  std::optional<int32_t> bos;
  std::vector<int32_t> eos;  // generation stops at any of these
  std::optional<int32_t> pad;
  // tokenizer_config.json add_bos_token / add_eos_token. A SentencePiece .model obeys
  // them in encode(); a tokenizer.json adds what its own post-processor says.
  std::optional<bool> add_bos;
  std::optional<bool> add_eos;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Added/special tokens written in `text` (e.g. "<|im_start|>") are always matched;
  // add_special_tokens adds what the tokenizer asks for around the text (e.g. BOS).
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const = 0;

  // The text of `ids`. skip_special drops special tokens (HF's skip_special_tokens).
  // Ids outside the vocabulary are skipped, as HF does.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const {
    return decode_text(ids, skip_special, /*continuation=*/false);
  }
  // The text `ids` add after earlier non-empty text: unlike decode(), keeps the leading
  // space a SentencePiece-style decoder drops from the first piece of a whole text, so
  // decode(a) + decode_continuation(b) == decode(a + b) when decode(a) is not empty.
  std::string decode_continuation(const std::vector<int32_t>& ids, bool skip_special) const {
    return decode_text(ids, skip_special, /*continuation=*/true);
  }

  // Ids are in [0, vocab_size()), added tokens included.
  virtual size_t vocab_size() const = 0;
  // The vocabulary string of an id ("Ġthe", "▁the", "<0x0A>", "<|im_end|>"); throws
  // llmrun::Error for an id outside the vocabulary.
  virtual std::string id_to_piece(int32_t id) const = 0;
  virtual std::optional<int32_t> piece_to_id(std::string_view piece) const = 0;
  // Special tokens: HF added tokens marked "special", SentencePiece control/unknown pieces.
  virtual bool is_special(int32_t id) const = 0;

  std::optional<int32_t> bos_id() const { return special_.bos; }
  const std::vector<int32_t>& eos_ids() const { return special_.eos; }
  std::optional<int32_t> pad_id() const { return special_.pad; }
  const SpecialTokenIds& special_ids() const { return special_; }
  void set_special_ids(SpecialTokenIds ids) { special_ = std::move(ids); }

 protected:
  virtual std::string decode_text(const std::vector<int32_t>& ids, bool skip_special,
                                  bool continuation) const = 0;

 private:
  SpecialTokenIds special_;
};

// `path` is a model folder (tokenizer.json preferred, else tokenizer.model) or a
// tokenizer.json / .model file. Throws llmrun::Error naming the file (and JSON key) at
// fault when something is missing or malformed.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path);
// Whether load_tokenizer(path) finds a tokenizer to read (whether or not it is well formed).
bool has_tokenizer(const std::string& path);

// Turns ids into text one id at a time, returning only complete, valid UTF-8: a
// character whose bytes are split over several tokens (byte-level BPE, byte-fallback
// runs) is held back until complete. The concatenation of every push() and the final
// flush() equals tokenizer.decode(all ids) (or decode_continuation with continues_text).
// One exception: HF turns a whole byte-fallback run that ends invalid into U+FFFDs,
// including characters of it that were valid and already printed; the stream prints
// those characters and U+FFFD only for what follows them.
class StreamingDecoder {
 public:
  struct Options {
    bool skip_special = true;
    // The ids continue text already shown (e.g. a prompt): keep the leading space of
    // the first piece that decode() would drop at the start of a text.
    bool continues_text = false;
  };

  StreamingDecoder(const Tokenizer& tokenizer, Options options);

  // Text completed by `id` (often empty while a character is incomplete).
  std::string push(int32_t id);
  // Whatever is held back, with U+FFFD for bytes that never formed a character (as HF's
  // decode would print them). Resets the decoder to continue the same text.
  std::string flush();

 private:
  std::string decode(const std::vector<int32_t>& ids) const;

  const Tokenizer& tokenizer_;
  Options options_;
  bool started_;                  // some text was emitted (or continues_text)
  std::vector<int32_t> context_;  // last ids already emitted, decoded for context
  std::vector<int32_t> pending_;  // ids whose text is not emitted yet
  std::string context_text_;      // decode(context_)
};

}  // namespace llmrun
