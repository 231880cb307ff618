// tokenizer.ggml.pre names the pre-tokenizer llama.cpp's converter recognised (by
// hashing the HF tokenizer's output, convert_hf_to_gguf.py get_vocab_base_pre); each
// row here is that model family's tokenizer.json pre-tokenizer (and normalizer),
// checked against the family's own tokenizer.json in the fixtures.
#include "loaders/gguf_tokenizer_json.h"

#include "runtime/error.h"

namespace llmrun {
namespace {

using ojson = nlohmann::ordered_json;

// llama.cpp token types (llama_token_type).
constexpr int64_t kControl = 3, kUserDefined = 4;

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

ojson gguf_tokenizer_json(const GgufFile& f) {
  const std::string& model = f.get_string("tokenizer.ggml.model");
  if (model != "gpt2")
    fail(f.path(), ": key tokenizer.ggml.model is \"", model,
         "\", which llmrun does not read from GGUF yet (supported: gpt2)");
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
  std::vector<int64_t> types(tokens.size(), 1);
  if (f.find("tokenizer.ggml.token_type")) {
    types = f.get_ints("tokenizer.ggml.token_type");
    if (types.size() != tokens.size())
      fail(f.path(), ": key tokenizer.ggml.token_type has ", types.size(), " entries for ", tokens.size(), " tokens");
  }
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
