// tokenizer.ggml.pre names the pre-tokenizer llama.cpp's converter recognised (by
// hashing the HF tokenizer's output, convert_hf_to_gguf.py get_vocab_base_pre); each
// row here is that model family's tokenizer.json pre-tokenizer (and normalizer),
// checked against the family's own tokenizer.json in the fixtures.
#include "loaders/gguf_tokenizer_json.h"

#include <cmath>
#include <cstring>

#include "runtime/error.h"

namespace llmrun {
namespace {

using ojson = nlohmann::ordered_json;

// llama.cpp token types (llama_token_type), the same numbers as SentencePiece's piece types.
constexpr int64_t kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kByte = 6;

// Protocol-buffer wire format, the little a ModelProto needs (varints, 32-bit floats,
// length-delimited bytes; see sentencepiece_model.proto for the field numbers).
class ProtoWriter {
 public:
  void varint(uint32_t field, uint64_t v) {
    key(field, 0);
    raw(v);
  }
  // int32 fields: a negative value is its 64-bit two's complement, as protobuf writes it.
  void int32(uint32_t field, int64_t v) { varint(field, uint64_t(v)); }
  void f32(uint32_t field, float v) {
    key(field, 5);
    char b[4];
    std::memcpy(b, &v, 4);  // little-endian hosts only (x86-64, aarch64)
    out_.append(b, 4);
  }
  void bytes(uint32_t field, const std::string& b) {
    key(field, 2);
    raw(b.size());
    out_ += b;
  }
  const std::string& str() const { return out_; }

 private:
  void key(uint32_t field, uint32_t wire) { raw((uint64_t(field) << 3) | wire); }
  void raw(uint64_t v) {
    for (; v >= 0x80; v >>= 7) out_.push_back(char((v & 0x7F) | 0x80));
    out_.push_back(char(v));
  }
  std::string out_;
};

// Token types, one per token; absent: all normal (as llama.cpp reads it).
std::vector<int64_t> token_types(const GgufFile& f, size_t n) {
  if (!f.find("tokenizer.ggml.token_type")) return std::vector<int64_t>(n, kNormal);
  std::vector<int64_t> types = f.get_ints("tokenizer.ggml.token_type");
  if (types.size() != n)
    fail(f.path(), ": key tokenizer.ggml.token_type has ", types.size(), " entries for ", n, " tokens");
  return types;
}

const char* const kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";
const char* const kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";

ojson byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}
ojson split_then_bytes(const char* regex) {
  ojson split = {{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}};
  return {{"type", "Sequence"}, {"pretokenizers", ojson::array({split, byte_level(false)})}};
}

struct PreRow {
  const char* name;
  ojson (*pre_tokenizer)();
  bool nfc;            // NFC normalizer
  bool ignore_merges;  // BPE: whole-word vocab hits skip the merges (Llama 3)
};

const PreRow kPre[] = {
    {"gpt-2", [] { return byte_level(true); }, false, false},
    {"smollm",
     [] {
       ojson digits = {{"type", "Digits"}, {"individual_digits", true}};
       return ojson{{"type", "Sequence"}, {"pretokenizers", ojson::array({digits, byte_level(true)})}};
     },
     false, false},
    {"llama-bpe", [] { return split_then_bytes(kLlama3Regex); }, false, true},
    {"llama3", [] { return split_then_bytes(kLlama3Regex); }, false, true},
    {"qwen2", [] { return split_then_bytes(kQwen2Regex); }, true, false},
};

std::string piece_of(const GgufFile& f, const std::string& key) {
  const int64_t id = f.get_int(key);
  const std::vector<std::string>& tokens = f.get_strings("tokenizer.ggml.tokens");
  if (id < 0 || id >= int64_t(tokens.size()))
    fail(f.path(), ": key ", key, " is ", id, ", outside the ", tokens.size(), " tokens");
  return tokens[size_t(id)];
}

}  // namespace

std::string gguf_tokenizer_model(const GgufFile& f) {
  const std::string& model = f.get_string("tokenizer.ggml.model");
  if (model != "gpt2" && model != "llama")
    fail(f.path(), ": key tokenizer.ggml.model is \"", model,
         "\", which llmrun does not read from GGUF yet (supported: gpt2, llama)");
  return model;
}

std::string gguf_sentencepiece_model(const GgufFile& f) {
  if (gguf_tokenizer_model(f) != "llama")
    fail(f.path(), ": key tokenizer.ggml.model is \"", f.get_string("tokenizer.ggml.model"), "\", not llama (SentencePiece)");
  const std::vector<std::string>& tokens = f.get_strings("tokenizer.ggml.tokens");
  const std::vector<double>& scores = f.get_reals("tokenizer.ggml.scores");
  if (scores.size() != tokens.size())
    fail(f.path(), ": key tokenizer.ggml.scores has ", scores.size(), " entries for ", tokens.size(), " tokens");
  const std::vector<int64_t> types = token_types(f, tokens.size());
  ProtoWriter model;
  int64_t unk = -1;
  bool has_bytes = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (types[i] < kNormal || types[i] > kByte)
      fail(f.path(), ": key tokenizer.ggml.token_type: token ", i, " has type ", types[i], " (expected 1 to 6)");
    if (!std::isfinite(scores[i])) fail(f.path(), ": key tokenizer.ggml.scores: token ", i, " has a score that is not finite");
    if (types[i] == kUnknown) {
      if (unk >= 0) fail(f.path(), ": key tokenizer.ggml.token_type: tokens ", unk, " and ", i, " are both of type 2 (unknown)");
      unk = int64_t(i);
    }
    has_bytes = has_bytes || types[i] == kByte;
    ProtoWriter piece;  // ModelProto.SentencePiece
    piece.bytes(1, tokens[i]);
    piece.f32(2, float(scores[i]));
    piece.varint(3, uint64_t(types[i]));
    model.bytes(1, piece.str());  // ModelProto.pieces
  }
  if (unk < 0) fail(f.path(), ": key tokenizer.ggml.token_type: no token of type 2 (unknown), which SentencePiece needs");
  auto id_or = [&](const char* key) { return f.find(key) ? f.get_int(key) : int64_t(-1); };
  ProtoWriter trainer;  // TrainerSpec
  trainer.varint(3, 2);  // model_type: BPE (llama.cpp's "llama" vocabulary merges by score)
  trainer.varint(4, tokens.size());  // vocab_size
  trainer.varint(35, has_bytes ? 1 : 0);  // byte_fallback
  trainer.int32(40, unk);
  trainer.int32(41, id_or("tokenizer.ggml.bos_token_id"));
  trainer.int32(42, id_or("tokenizer.ggml.eos_token_id"));
  trainer.int32(43, id_or("tokenizer.ggml.padding_token_id"));
  model.bytes(2, trainer.str());
  auto flag_or = [&](const char* key, bool fallback) { return f.find(key) ? f.get_bool(key) : fallback; };
  ProtoWriter normalizer;  // NormalizerSpec
  normalizer.bytes(1, "identity");
  normalizer.varint(3, flag_or("tokenizer.ggml.add_space_prefix", true));           // add_dummy_prefix
  normalizer.varint(4, flag_or("tokenizer.ggml.remove_extra_whitespaces", false));  // remove_extra_whitespaces
  normalizer.varint(5, 1);                                                          // escape_whitespaces
  model.bytes(3, normalizer.str());
  return model.str();
}

ojson gguf_tokenizer_json(const GgufFile& f) {
  if (gguf_tokenizer_model(f) != "gpt2")
    fail(f.path(), ": key tokenizer.ggml.model is \"", f.get_string("tokenizer.ggml.model"),
         "\", which has no tokenizer.json form (a SentencePiece model: tokenizer.model)");
  const std::string pre = f.find("tokenizer.ggml.pre") ? f.get_string("tokenizer.ggml.pre") : "gpt-2";
  const PreRow* row = nullptr;
  std::string names;
  for (const PreRow& r : kPre) {
    if (pre == r.name) row = &r;
    names += (names.empty() ? "" : ", ") + std::string(r.name);
  }
  if (!row) fail(f.path(), ": key tokenizer.ggml.pre is \"", pre, "\", which llmrun does not know (known: ", names, ")");

  const std::vector<std::string>& tokens = f.get_strings("tokenizer.ggml.tokens");
  const std::vector<std::string>& merges = f.get_strings("tokenizer.ggml.merges");
  const std::vector<int64_t> types = token_types(f, tokens.size());
  ojson j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  ojson added = ojson::array();
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (types[i] != kControl && types[i] != kUserDefined) continue;
    added.push_back({{"id", i}, {"content", tokens[i]}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                     {"normalized", false}, {"special", types[i] == kControl}});
  }
  j["added_tokens"] = added;
  j["normalizer"] = row->nfc ? ojson{{"type", "NFC"}} : ojson(nullptr);
  j["pre_tokenizer"] = row->pre_tokenizer();
  const bool add_bos = f.find("tokenizer.ggml.add_bos_token") && f.get_bool("tokenizer.ggml.add_bos_token") &&
                       f.find("tokenizer.ggml.bos_token_id");
  if (add_bos) {
    const std::string bos = piece_of(f, "tokenizer.ggml.bos_token_id");
    j["post_processor"] = {
        {"type", "TemplateProcessing"},
        {"single", ojson::array({{{"SpecialToken", {{"id", bos}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
        {"pair", ojson::array({{{"SpecialToken", {{"id", bos}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                               {{"SpecialToken", {{"id", bos}, {"type_id", 1}}}}, {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}})},
        {"special_tokens", {{bos, {{"id", bos}, {"ids", {f.get_int("tokenizer.ggml.bos_token_id")}}, {"tokens", {bos}}}}}}};
  } else {
    j["post_processor"] = byte_level(true);
  }
  j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  ojson vocab = ojson::object();
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = i;
  if (vocab.size() != tokens.size()) fail(f.path(), ": key tokenizer.ggml.tokens holds a token twice");
  ojson merge_list = ojson::array();
  for (const std::string& m : merges) {
    const size_t space = m.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == m.size())
      fail(f.path(), ": key tokenizer.ggml.merges holds \"", m.substr(0, 40), "\", expected \"left right\"");
    merge_list.push_back(ojson::array({m.substr(0, space), m.substr(space + 1)}));
  }
  j["model"] = {{"type", "BPE"},           {"dropout", nullptr},  {"unk_token", nullptr},
                {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr},
                {"fuse_unk", false},       {"byte_fallback", false}, {"ignore_merges", row->ignore_merges},
                {"vocab", vocab},          {"merges", merge_list}};
  return j;
}

ojson gguf_tokenizer_config(const GgufFile& f) {
  ojson c = ojson::object();
  if (f.find("tokenizer.ggml.add_bos_token")) c["add_bos_token"] = f.get_bool("tokenizer.ggml.add_bos_token");
  for (const auto& [key, name] : {std::pair<const char*, const char*>{"tokenizer.ggml.bos_token_id", "bos_token"},
                                  {"tokenizer.ggml.eos_token_id", "eos_token"},
                                  {"tokenizer.ggml.padding_token_id", "pad_token"}})
    if (f.find(key)) c[name] = piece_of(f, key);
  if (f.find("tokenizer.chat_template")) c["chat_template"] = f.get_string("tokenizer.chat_template");
  return c;
}

}  // namespace llmrun
