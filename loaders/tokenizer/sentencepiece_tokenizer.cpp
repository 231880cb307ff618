#include "loaders/tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <fstream>
#include <sstream>

#include "loaders/tokenizer/json_fields.h"
#include "loaders/tokenizer/utf8.h"
#include "runtime/error.h"

namespace llmrun::tok {
namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";          // ▁
constexpr std::string_view kUnknownSurface = " \xE2\x81\x87 ";       // " ⁇ "

// Minimal protobuf reading: the two NormalizerSpec flags SentencePiece's decoder uses
// (ModelProto field 3 = normalizer_spec; its fields 3 = add_dummy_prefix,
// 4 = remove_extra_whitespaces; both default true).
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
      const auto b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  // Reads one field; `bytes` is set for length-delimited fields.
  bool field(uint32_t& number, uint64_t& value, std::string_view& bytes) {
    uint64_t key;
    if (!varint(key)) return false;
    number = static_cast<uint32_t>(key >> 3);
    switch (key & 7) {
      case 0:
        return varint(value);
      case 1:
        pos_ += 8;
        return pos_ <= data_.size();
      case 2:
        if (!varint(value) || value > data_.size() - pos_) return false;
        bytes = data_.substr(pos_, value);
        pos_ += value;
        return true;
      case 5:
        pos_ += 4;
        return pos_ <= data_.size();
      default:
        return false;
    }
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

void read_normalizer_flags(const std::string& model, bool& add_dummy_prefix,
                           bool& remove_extra_whitespaces) {
  ProtoReader top(model);
  uint32_t num;
  uint64_t val;
  std::string_view bytes;
  while (!top.done() && top.field(num, val, bytes)) {
    if (num != 3 || bytes.empty()) continue;
    ProtoReader spec(bytes);
    std::string_view inner;
    while (!spec.done() && spec.field(num, val, inner)) {
      if (num == 3) add_dummy_prefix = val != 0;
      if (num == 4) remove_extra_whitespaces = val != 0;
    }
  }
}

// The first piece (ModelProto field 1; its field 1 = the piece text) that is empty or
// holds a NUL byte, or -1. SentencePiece indexes pieces in a Darts trie of NUL-terminated keys, which
// throws on such a piece from a context that ends in std::terminate (found by
// fuzz/targets/tokenizer_model.cpp): it must be refused before the library sees it.
int64_t first_piece_with_nul(const std::string& model, std::string& piece) {
  ProtoReader top(model);
  uint32_t num;
  uint64_t val;
  std::string_view bytes;
  int64_t index = -1;
  while (!top.done() && top.field(num, val, bytes)) {
    if (num != 1) continue;
    ++index;
    ProtoReader entry(bytes);
    std::string_view text;
    while (!entry.done() && entry.field(num, val, text)) {
      if (num == 1 && (text.empty() || text.find('\0') != std::string_view::npos)) {
        piece = std::string(text);
        return index;
      }
    }
  }
  return -1;
}

// SentencePiece's status text without the library's own source location ("Internal:
// ./src/sentencepiece_processor.cc(232) [model_proto->ParseFromArray(...)] "): what is
// left is the library's message, if it has one.
std::string status_text(const sentencepiece::util::Status& status) {
  std::string text = status.ToString();
  const size_t src = text.find("./src/");
  if (src != std::string::npos) {
    const size_t close = text.find("] ", src);
    text.erase(src, close == std::string::npos ? std::string::npos : close + 2 - src);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == ':')) text.pop_back();
  return text.find(':') == std::string::npos ? std::string() : text;  // a bare code name says nothing
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& path)
    : path_(path), sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open");
  std::ostringstream buf;
  buf << in.rdbuf();
  load(buf.str());
}

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& name, const SerializedModel& model)
    : path_(name), sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  load(model.bytes);
}

void SentencePieceTokenizer::load(const std::string& model) {
  std::string bad;
  if (const int64_t i = first_piece_with_nul(model, bad); i >= 0)
    fail(path_, ": piece ", i, " ", tok::quoted(bad), bad.empty() ? " is empty" : " holds a NUL byte",
         "; not a valid SentencePiece model");
  sentencepiece::util::Status status;
  try {
    status = sp_->LoadFromSerializedProto(model);
  } catch (const std::exception&) {  // the library's internals (its trie) throw on other bad input
    fail(path_, ": not a valid SentencePiece model (its pieces cannot be indexed)");
  }
  if (!status.ok())
    fail(path_, ": not a SentencePiece model (", status_text(status) + (status_text(status).empty() ? "" : "; "),
         "truncated, or another file format?)");
  read_normalizer_flags(model, add_dummy_prefix_, remove_extra_whitespaces_);
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text,
                                                    bool add_special_tokens) const {
  std::vector<int> pieces;
  const std::string clean = utf8::sanitize(text);
  const auto status = sp_->Encode(clean, &pieces);
  if (!status.ok()) fail(path_, ": encode failed", status_text(status).empty() ? "" : ": " + status_text(status));
  std::vector<int32_t> ids;
  ids.reserve(pieces.size() + 2);
  const SpecialTokenIds& sp = special_ids();
  if (add_special_tokens && sp.add_bos.value_or(true) && sp.bos) ids.push_back(*sp.bos);
  ids.insert(ids.end(), pieces.begin(), pieces.end());
  if (add_special_tokens && sp.add_eos.value_or(false) && !sp.eos.empty()) ids.push_back(sp.eos[0]);
  return ids;
}

size_t SentencePieceTokenizer::vocab_size() const {
  return static_cast<size_t>(sp_->GetPieceSize());
}

std::string SentencePieceTokenizer::id_to_piece(int32_t id) const {
  if (id < 0 || id >= sp_->GetPieceSize())
    fail(path_, ": token id ", id, " is not in the vocabulary (size ", sp_->GetPieceSize(), ")");
  return sp_->IdToPiece(id);
}

std::optional<int32_t> SentencePieceTokenizer::piece_to_id(std::string_view piece) const {
  const int id = sp_->PieceToId(piece);
  // PieceToId answers unk_id for unknown pieces.
  if (id < 0 || (sp_->IsUnknown(id) && sp_->IdToPiece(id) != piece)) return std::nullopt;
  return id;
}

bool SentencePieceTokenizer::is_special(int32_t id) const {
  return id >= 0 && id < sp_->GetPieceSize() && sp_->IsControl(id);
}

std::string SentencePieceTokenizer::decode_text(const std::vector<int32_t>& ids, bool skip_special,
                                                bool continuation) const {
  std::string text;
  std::string bytes;  // the current run of byte pieces
  // Byte pieces become text one character at a time; a byte that starts no valid
  // character is one U+FFFD.
  auto flush_bytes = [&] {
    for (size_t i = 0; i < bytes.size();) {
      const utf8::Char c = utf8::next(bytes, i);
      if (c.valid) {
        text.append(bytes, i, c.len);
        i += c.len;
      } else {
        text += utf8::kReplacement;
        ++i;
      }
    }
    bytes.clear();
  };
  // SentencePiece drops the "▁" of the first piece that starts with one, while the text
  // is still empty; a continuation is never at the start.
  bool expect_bos_ws = !continuation;
  bool bos_ws_seen = false;
  const int size = sp_->GetPieceSize();
  for (int32_t id : ids) {
    if (id < 0 || id >= size) continue;
    if (sp_->IsByte(id)) {
      const std::string& piece = sp_->IdToPiece(id);  // "<0xAB>"
      bytes.push_back(static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16)));
      continue;
    }
    flush_bytes();
    if (bos_ws_seen || !text.empty()) expect_bos_ws = false;
    bos_ws_seen = false;
    if (sp_->IsControl(id)) {
      if (!skip_special) text += sp_->IdToPiece(id);
      continue;
    }
    if (sp_->IsUnknown(id)) {
      text += kUnknownSurface;
      continue;
    }
    std::string_view piece = sp_->IdToPiece(id);
    if (expect_bos_ws && (add_dummy_prefix_ || remove_extra_whitespaces_)) {
      if (piece.substr(0, kSpaceSymbol.size()) == kSpaceSymbol) {
        piece.remove_prefix(kSpaceSymbol.size());
        bos_ws_seen = !remove_extra_whitespaces_;
      }
    }
    for (size_t p = 0; p < piece.size();) {
      if (piece.compare(p, kSpaceSymbol.size(), kSpaceSymbol) == 0) {
        text += ' ';
        p += kSpaceSymbol.size();
      } else {
        text += piece[p++];
      }
    }
  }
  flush_bytes();
  return text;
}

}  // namespace llmrun::tok
