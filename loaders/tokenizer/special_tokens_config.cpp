#include "loaders/tokenizer/special_tokens_config.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <sys/stat.h>

#include "loaders/tokenizer/json_fields.h"

namespace llmrun::tok {
namespace {

std::optional<Json> read_json_if_present(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open");
  std::ostringstream buf;
  buf << in.rdbuf();
  try {
    Json doc = Json::parse(buf.str());
    if (!doc.is_object()) fail(path, ": expected a JSON object");
    return doc;
  } catch (const Json::exception& e) {
    fail(path, ": invalid JSON: ", e.what());
  }
}

// tokenizer_config.json names tokens: "<s>", {"content": "<s>", ...} or null.
std::optional<int32_t> token_by_name(const Json& cfg, const char* key, const std::string& path,
                                     const Tokenizer& tok) {
  const auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return std::nullopt;
  std::string name;
  if (it->is_string()) name = it->get<std::string>();
  else if (it->is_object()) name = required_string(*it, "content", path + ": " + key);
  else fail(path, ": ", key, ": expected a token string or {\"content\": ...}");
  const auto id = tok.piece_to_id(name);
  if (!id) fail(path, ": ", key, ": token '", name, "' is not in the vocabulary");
  return id;
}

// generation_config.json / config.json give ids: 2, [128001, 128009] or null.
std::vector<int32_t> ids_at(const Json& cfg, const char* key, const std::string& path,
                            const Tokenizer& tok) {
  const auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return {};
  std::vector<Json> items;
  if (it->is_array()) items.assign(it->begin(), it->end());
  else items.push_back(*it);
  std::vector<int32_t> out;
  for (const Json& v : items) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 ||
        v.get<int64_t>() >= static_cast<int64_t>(tok.vocab_size()))
      fail(path, ": ", key, ": expected token ids below the vocabulary size ", tok.vocab_size());
    out.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  return out;
}

void add_unique(std::vector<int32_t>& list, const std::vector<int32_t>& more) {
  for (int32_t id : more)
    if (std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
}

}  // namespace

SpecialTokenIds read_special_tokens(const std::string& folder, const Tokenizer& tok,
                                    SpecialTokenIds ids) {
  const std::string tc_path = folder + "/tokenizer_config.json";
  const std::string gc_path = folder + "/generation_config.json";
  const std::string mc_path = folder + "/config.json";
  const auto tc = read_json_if_present(tc_path);
  const auto gc = read_json_if_present(gc_path);
  const auto mc = read_json_if_present(mc_path);

  std::optional<int32_t> bos, pad;
  std::vector<int32_t> eos;
  if (tc) {
    bos = token_by_name(*tc, "bos_token", tc_path, tok);
    pad = token_by_name(*tc, "pad_token", tc_path, tok);
    if (const auto e = token_by_name(*tc, "eos_token", tc_path, tok)) eos.push_back(*e);
    if (tc->contains("add_bos_token") && !(*tc)["add_bos_token"].is_null())
      ids.add_bos = optional_bool(*tc, "add_bos_token", true, tc_path);
    if (tc->contains("add_eos_token") && !(*tc)["add_eos_token"].is_null())
      ids.add_eos = optional_bool(*tc, "add_eos_token", false, tc_path);
  }
  // generation_config.json is what generation uses; config.json is the fallback.
  for (const auto* cfg : {&gc, &mc}) {
    if (!*cfg) continue;
    const std::string& path = cfg == &gc ? gc_path : mc_path;
    const auto b = ids_at(**cfg, "bos_token_id", path, tok);
    const auto p = ids_at(**cfg, "pad_token_id", path, tok);
    if (!bos && !b.empty()) bos = b[0];
    if (!pad && !p.empty()) pad = p[0];
    const auto e = ids_at(**cfg, "eos_token_id", path, tok);
    if (cfg == &gc || !gc || !gc->contains("eos_token_id")) add_unique(eos, e);
  }
  if (bos) ids.bos = bos;
  if (pad) ids.pad = pad;
  if (!eos.empty()) {
    add_unique(eos, ids.eos);
    ids.eos = eos;
  }
  return ids;
}

}  // namespace llmrun::tok
