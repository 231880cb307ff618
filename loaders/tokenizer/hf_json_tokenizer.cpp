#include "loaders/tokenizer/hf_json_tokenizer.h"

#include <fstream>
#include <sstream>

#include "loaders/tokenizer/utf8.h"

namespace llmrun::tok {

HfJsonTokenizer::HfJsonTokenizer(const TokenizerJson& file, const std::string& name) {
  const std::string w = name + ": ";
  const Json& doc = file.doc;
  if (!doc.is_object()) fail(name, ": expected a JSON object");
  const Json null_json;
  auto section = [&](const char* key) -> const Json& {
    const auto it = doc.find(key);
    return it == doc.end() ? null_json : *it;
  };
  const Json& model = required(doc, "model", name);
  const std::string model_type = optional_string(model, "type", "BPE", w + "model");
  if (model_type != "BPE")
    fail(w + "model.type: model '", model_type, "' is not supported (only BPE)");
  if (!file.has_vocab) fail(w + "model.vocab: missing (or not an object)");
  if (!file.has_merges) fail(w + "model.merges: missing (or not an array)");
  model_ = std::make_unique<BpeModel>(model, file.vocab, file.merges, w + "model");
  normalizer_ = make_normalizer(section("normalizer"), w + "normalizer");
  pre_tokenizer_ = make_pre_tokenizer(section("pre_tokenizer"), w + "pre_tokenizer");
  decoder_ = make_decoder(section("decoder"), w + "decoder");
  post_processor_ = std::make_unique<PostProcessor>(section("post_processor"), w + "post_processor");

  vocab_size_ = model_->id_limit();
  std::vector<AddedToken> raw, normalized;
  std::vector<std::string> raw_patterns, normalized_patterns;
  const Json& added = section("added_tokens");
  if (!added.is_null() && !added.is_array()) fail(w + "added_tokens: expected an array");
  for (size_t i = 0; i < (added.is_array() ? added.size() : 0); ++i) {
    const std::string aw = w + "added_tokens[" + std::to_string(i) + "]";
    const Json& a = added[i];
    AddedToken t;
    t.content = required_string(a, "content", aw);
    const int64_t id = required_int(a, "id", aw);
    // Added ids continue the model's (or reuse one of its ids): a bound that keeps every
    // id table as small as the file.
    const int64_t id_bound = int64_t(model_->id_limit() + added.size());
    if (id < 0 || id >= id_bound)
      fail(aw, ".id: ", id, " is outside 0..", id_bound - 1, " (", model_->id_limit(), " vocabulary tokens + ",
           added.size(), " added tokens)");
    t.id = static_cast<int32_t>(id);
    t.single_word = optional_bool(a, "single_word", false, aw);
    t.lstrip = optional_bool(a, "lstrip", false, aw);
    t.rstrip = optional_bool(a, "rstrip", false, aw);
    t.special = optional_bool(a, "special", false, aw);
    t.normalized = optional_bool(a, "normalized", !t.special, aw);
    if (t.content.empty()) continue;
    vocab_size_ = std::max(vocab_size_, static_cast<size_t>(t.id) + 1);
    added_by_id_[t.id] = t;
    added_by_content_[t.content] = t.id;
    if (t.normalized) {
      std::string pattern = t.content;
      if (normalizer_) normalizer_->apply(pattern);
      normalized_patterns.push_back(pattern);
      normalized.push_back(std::move(t));
    } else {
      raw_patterns.push_back(t.content);
      raw.push_back(std::move(t));
    }
  }
  post_processor_->check_ids(vocab_size_, w + "post_processor");
  raw_added_ = std::make_unique<AddedTokenMatcher>(std::move(raw), std::move(raw_patterns));
  normalized_added_ =
      std::make_unique<AddedTokenMatcher>(std::move(normalized), std::move(normalized_patterns));
}

std::unique_ptr<HfJsonTokenizer> HfJsonTokenizer::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open");
  std::ostringstream buf;
  buf << in.rdbuf();
  const TokenizerJson file = read_tokenizer_json(buf.str(), path);
  return std::make_unique<HfJsonTokenizer>(file, path);
}

void HfJsonTokenizer::encode_stretch(std::string text, bool at_text_start,
                                     std::vector<int32_t>& ids) const {
  if (normalizer_) normalizer_->apply(text);
  if (text.empty()) return;
  const auto segments = normalized_added_->empty()
                            ? std::vector<Segment>{{0, text.size(), -1}}
                            : normalized_added_->split(text);
  std::vector<Word> words;
  for (const Segment& s : segments) {
    if (s.id >= 0) {
      ids.push_back(s.id);
      continue;
    }
    words.clear();
    words.push_back({text.substr(s.begin, s.end - s.begin), at_text_start && s.begin == 0});
    if (pre_tokenizer_) pre_tokenizer_->apply(words);
    for (const Word& word : words) model_->tokenize(word.text, ids);
  }
}

std::vector<int32_t> HfJsonTokenizer::encode(std::string_view input, bool add_special_tokens) const {
  const std::string text = utf8::sanitize(input);
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 8);
  if (raw_added_->empty()) {
    if (!text.empty()) encode_stretch(text, true, ids);
  } else {
    for (const Segment& s : raw_added_->split(text)) {
      if (s.id >= 0) ids.push_back(s.id);
      else encode_stretch(text.substr(s.begin, s.end - s.begin), s.begin == 0, ids);
    }
  }
  if (add_special_tokens) return post_processor_->apply(ids);
  return ids;
}

std::string HfJsonTokenizer::decode_text(const std::vector<int32_t>& ids, bool skip_special,
                                         bool continuation) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    const auto it = added_by_id_.find(id);
    if (it != added_by_id_.end()) {
      if (!(skip_special && it->second.special)) tokens.push_back(it->second.content);
      continue;
    }
    if (const std::string* t = model_->token(id)) tokens.push_back(*t);
  }
  std::string out;
  if (!decoder_) {
    // HF joins with spaces when the file has no decoder.
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) out += ' ';
      out += tokens[i];
    }
    return out;
  }
  DecodeState state;
  state.continuation = continuation;
  decoder_->apply(tokens, state);
  for (const std::string& t : tokens) out += t;
  return out;
}

std::string HfJsonTokenizer::id_to_piece(int32_t id) const {
  const auto it = added_by_id_.find(id);
  if (it != added_by_id_.end()) return it->second.content;
  if (const std::string* t = model_->token(id)) return *t;
  fail("token id ", id, " is not in the vocabulary (size ", vocab_size_, ")");
}

std::optional<int32_t> HfJsonTokenizer::piece_to_id(std::string_view piece) const {
  const auto it = added_by_content_.find(std::string(piece));
  if (it != added_by_content_.end()) return it->second;
  return model_->id_of(piece);
}

bool HfJsonTokenizer::is_special(int32_t id) const {
  const auto it = added_by_id_.find(id);
  return it != added_by_id_.end() && it->second.special;
}

}  // namespace llmrun::tok
