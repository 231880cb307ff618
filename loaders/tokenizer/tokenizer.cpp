#include "loaders/tokenizer/tokenizer.h"

#include <sys/stat.h>

#include "loaders/gguf.h"
#include "loaders/gguf_tokenizer_json.h"
#include "loaders/tokenizer/hf_json_tokenizer.h"
#include "loaders/tokenizer/tokenizer_json_reader.h"
#include "loaders/tokenizer/sentencepiece_tokenizer.h"
#include "loaders/tokenizer/special_tokens_config.h"
#include "loaders/tokenizer/utf8.h"
#include "runtime/error.h"

namespace llmrun {
namespace {

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool is_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::unique_ptr<Tokenizer> load_file(const std::string& path) {
  if (ends_with(path, ".json")) {
    auto tok = tok::HfJsonTokenizer::from_file(path);
    return tok;
  }
  auto sp = std::make_unique<tok::SentencePieceTokenizer>(path);
  return sp;
}

// What the tokenizer file says by itself: SentencePiece models name BOS/EOS.
SpecialTokenIds file_defaults(const Tokenizer& tok) {
  SpecialTokenIds ids;
  if (dynamic_cast<const tok::SentencePieceTokenizer*>(&tok)) {
    if (auto b = tok.piece_to_id("<s>"); b && tok.is_special(*b)) ids.bos = b;
    if (auto e = tok.piece_to_id("</s>"); e && tok.is_special(*e)) ids.eos.push_back(*e);
  }
  return ids;
}

// A GGUF file's tokenizer: its metadata as the tokenizer.json (gpt2) or tokenizer.model
// (llama: SentencePiece) the model shipped.
std::unique_ptr<Tokenizer> load_gguf(const std::string& path) {
  const auto file = GgufFile::open(path);
  std::unique_ptr<Tokenizer> tok;
  if (gguf_tokenizer_model(*file) == "llama") {
    tok = std::make_unique<tok::SentencePieceTokenizer>(path + " (tokenizer.ggml.*)",
                                                        tok::SerializedModel{gguf_sentencepiece_model(*file)});
  } else {
    tok = std::make_unique<tok::HfJsonTokenizer>(
        tok::read_tokenizer_json(gguf_tokenizer_json(*file).dump(), path + " (tokenizer.ggml.*)"), path);
  }
  SpecialTokenIds ids;
  if (file->find("tokenizer.ggml.bos_token_id")) ids.bos = int32_t(file->get_int("tokenizer.ggml.bos_token_id"));
  if (file->find("tokenizer.ggml.eos_token_id")) ids.eos.push_back(int32_t(file->get_int("tokenizer.ggml.eos_token_id")));
  if (file->find("tokenizer.ggml.padding_token_id")) ids.pad = int32_t(file->get_int("tokenizer.ggml.padding_token_id"));
  if (file->find("tokenizer.ggml.add_bos_token")) ids.add_bos = file->get_bool("tokenizer.ggml.add_bos_token");
  if (file->find("tokenizer.ggml.add_eos_token")) ids.add_eos = file->get_bool("tokenizer.ggml.add_eos_token");
  tok->set_special_ids(ids);
  return tok;
}

}  // namespace

bool has_tokenizer(const std::string& path) {
  if (is_dir(path)) return is_file(path + "/tokenizer.json") || is_file(path + "/tokenizer.model");
  return is_file(path);
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path) {
  if (is_gguf_file(path)) return load_gguf(path);
  if (is_dir(path)) {
    const std::string json = path + "/tokenizer.json";
    const std::string model = path + "/tokenizer.model";
    std::unique_ptr<Tokenizer> tok;
    if (is_file(json)) tok = load_file(json);
    else if (is_file(model)) tok = load_file(model);
    else fail(path, ": no tokenizer.json or tokenizer.model in this folder");
    tok->set_special_ids(tok::read_special_tokens(path, *tok, file_defaults(*tok)));
    return tok;
  }
  if (!is_file(path)) fail(path, ": no such tokenizer file or model folder");
  auto tok = load_file(path);
  tok->set_special_ids(file_defaults(*tok));
  return tok;
}

StreamingDecoder::StreamingDecoder(const Tokenizer& tokenizer, Options options)
    : tokenizer_(tokenizer), options_(options), started_(options.continues_text) {}

std::string StreamingDecoder::decode(const std::vector<int32_t>& ids) const {
  return started_ ? tokenizer_.decode_continuation(ids, options_.skip_special)
                  : tokenizer_.decode(ids, options_.skip_special);
}

namespace {

// The new text of `full` past what `shown` already printed. Normally `shown` is a
// prefix; when a later token changes earlier text (an invalid byte run), the common
// prefix is kept and the rest is new, cut at a character boundary.
std::string new_text(const std::string& full, const std::string& shown) {
  size_t n = 0;
  while (n < full.size() && n < shown.size() && full[n] == shown[n]) ++n;
  while (n > 0 && n < full.size() && (static_cast<unsigned char>(full[n]) & 0xC0) == 0x80) --n;
  return full.substr(n);
}

bool ends_with_replacement(const std::string& s) {
  return s.size() >= 3 && s.compare(s.size() - 3, 3, utf8::kReplacement) == 0;
}

}  // namespace

std::string StreamingDecoder::push(int32_t id) {
  pending_.push_back(id);
  std::vector<int32_t> all = context_;
  all.insert(all.end(), pending_.begin(), pending_.end());
  const std::string full = decode(all);
  // A trailing U+FFFD may be a character whose remaining bytes are still to come: hold
  // it until the next token settles it (flush() prints it if nothing does).
  if (full.size() <= context_text_.size() || ends_with_replacement(full)) return {};
  std::string out = new_text(full, context_text_);
  context_ = std::move(pending_);
  pending_.clear();
  started_ = true;
  context_text_ = decode(context_);
  return out;
}

std::string StreamingDecoder::flush() {
  if (pending_.empty()) return {};
  std::vector<int32_t> all = context_;
  all.insert(all.end(), pending_.begin(), pending_.end());
  const std::string full = decode(all);
  std::string out = full.size() > context_text_.size() ? new_text(full, context_text_) : "";
  context_ = std::move(pending_);
  pending_.clear();
  if (!out.empty()) started_ = true;
  context_text_ = decode(context_);
  return out;
}

}  // namespace llmrun
