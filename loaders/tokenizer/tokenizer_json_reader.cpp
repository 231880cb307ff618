#include "loaders/tokenizer/tokenizer_json_reader.h"

namespace llmrun::tok {
namespace {

using DomBuilder = nlohmann::detail::json_sax_dom_parser<Json>;

// Forwards every event to a DOM builder, except the members of model.vocab and the items
// of model.merges, which it keeps itself.
class Handler {
 public:
  Handler(TokenizerJson& out, const std::string& name) : out_(out), dom_(out.doc), name_(name) {}

  bool null() { return capture_ == Capture::kNone ? dom_.null() : bad_item("null"); }
  bool boolean(bool v) { return capture_ == Capture::kNone ? dom_.boolean(v) : bad_item("a boolean"); }
  bool number_integer(int64_t v) {
    if (capture_ == Capture::kVocab) return vocab_id(v);
    return capture_ == Capture::kNone ? dom_.number_integer(v) : bad_item("a number");
  }
  bool number_unsigned(uint64_t v) {
    if (capture_ == Capture::kVocab)
      return v > static_cast<uint64_t>(INT32_MAX) ? bad_item("an id out of range")
                                                  : vocab_id(static_cast<int64_t>(v));
    return capture_ == Capture::kNone ? dom_.number_unsigned(v) : bad_item("a number");
  }
  bool number_float(double v, const std::string& s) {
    return capture_ == Capture::kNone ? dom_.number_float(v, s) : bad_item("a number");
  }
  bool string(std::string& v) {
    switch (capture_) {
      case Capture::kNone:
        return dom_.string(v);
      case Capture::kVocab:
        return bad_item("a string");
      case Capture::kMerges: {
        const size_t sp = v.find(' ');
        if (sp == std::string::npos)
          fail(name_, ": model.merges[", out_.merges.size(), "]: expected \"left right\", got \"", v, "\"");
        out_.merges.emplace_back(v.substr(0, sp), v.substr(sp + 1));
        return true;
      }
      case Capture::kMergePair:
        if (pair_.size() >= 2) return bad_item("more than two strings");
        pair_.push_back(std::move(v));
        return true;
    }
    return true;
  }
  bool binary(Json::binary_t& v) { return capture_ == Capture::kNone ? dom_.binary(v) : bad_item("binary"); }

  bool start_object(size_t n) {
    if (capture_ != Capture::kNone) return bad_item("an object");
    const bool is_vocab = path_.size() == 2 && path_[0] == "model" && path_[1] == "vocab";
    push_level();
    if (is_vocab) {
      capture_ = Capture::kVocab;
      capture_depth_ = depth_;
      out_.has_vocab = true;
    }
    return dom_.start_object(is_vocab ? 0 : n);
  }
  bool key(std::string& k) {
    if (capture_ == Capture::kVocab) {
      vocab_key_ = k;
      return true;
    }
    if (capture_ != Capture::kNone) return bad_item("an object");
    if (!path_.empty()) path_.back() = k;
    return dom_.key(k);
  }
  bool end_object() {
    if (capture_ == Capture::kVocab && depth_ == capture_depth_) capture_ = Capture::kNone;
    pop_level();
    return dom_.end_object();
  }
  bool start_array(size_t n) {
    if (capture_ == Capture::kMerges) {
      capture_ = Capture::kMergePair;
      pair_.clear();
      return true;
    }
    if (capture_ != Capture::kNone) return bad_item("an array");
    const bool is_merges = path_.size() == 2 && path_[0] == "model" && path_[1] == "merges";
    push_level();
    if (is_merges) {
      capture_ = Capture::kMerges;
      capture_depth_ = depth_;
      out_.has_merges = true;
    }
    return dom_.start_array(is_merges ? 0 : n);
  }
  bool end_array() {
    if (capture_ == Capture::kMergePair) {
      if (pair_.size() != 2) return bad_item("an array that is not [left, right]");
      out_.merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
      capture_ = Capture::kMerges;
      return true;
    }
    if (capture_ == Capture::kMerges && depth_ == capture_depth_) capture_ = Capture::kNone;
    pop_level();
    return dom_.end_array();
  }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& e) {
    fail(name_, ": invalid JSON: ", e.what());
  }

 private:
  enum class Capture { kNone, kVocab, kMerges, kMergePair };

  bool vocab_id(int64_t v) {
    if (v < 0 || v > INT32_MAX)
      fail(name_, ": model.vocab[\"", vocab_key_, "\"]: expected a non-negative integer id");
    out_.vocab.emplace_back(std::move(vocab_key_), v);
    return true;
  }
  [[noreturn]] bool bad_item(const char* what) {
    if (capture_ == Capture::kVocab)
      fail(name_, ": model.vocab[\"", vocab_key_, "\"]: expected an integer id, got ", what);
    fail(name_, ": model.merges[", out_.merges.size(), "]: expected \"left right\" or [left, right], got ",
         what);
  }
  // path_[d]: the current key of the container open at depth d+1 (arrays: "").
  void push_level() {
    ++depth_;
    path_.emplace_back();
  }
  void pop_level() {
    --depth_;
    path_.pop_back();
  }

  TokenizerJson& out_;
  DomBuilder dom_;
  const std::string& name_;
  Capture capture_ = Capture::kNone;
  int depth_ = 0;
  int capture_depth_ = 0;
  std::vector<std::string> path_;
  std::string vocab_key_;
  std::vector<std::string> pair_;
};

}  // namespace

TokenizerJson read_tokenizer_json(const std::string& text, const std::string& name) {
  TokenizerJson out;
  out.vocab.reserve(text.size() / 64);
  out.merges.reserve(text.size() / 64);
  Handler handler(out, name);
  Json::sax_parse(text, &handler);
  return out;
}

}  // namespace llmrun::tok
