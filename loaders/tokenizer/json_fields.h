#pragma once
// Reading tokenizer files' JSON with errors that name the file and the key at fault:
// "tokenizer.json: pre_tokenizer.pretokenizers[1].behavior: expected a string".
#include <nlohmann/json.hpp>

#include <string>

#include "runtime/error.h"

namespace llmrun::tok {

using Json = nlohmann::json;

// A string from the file as a short JSON literal for messages: quoted, control characters
// and invalid UTF-8 escaped, clipped to `limit` bytes.
inline std::string quoted(const std::string& text, size_t limit = 80) {
  std::string q = Json(text.substr(0, limit)).dump(-1, ' ', false, Json::error_handler_t::replace);
  return text.size() > limit ? q + "..." : q;
}

inline std::string key_path(const std::string& where, const std::string& key) {
  return where + "." + key;
}

inline const Json& required(const Json& obj, const std::string& key, const std::string& where) {
  if (!obj.is_object()) fail(where, ": expected an object");
  const auto it = obj.find(key);
  if (it == obj.end()) fail(key_path(where, key), ": missing");
  return *it;
}

inline std::string required_string(const Json& obj, const std::string& key,
                                   const std::string& where) {
  const Json& v = required(obj, key, where);
  if (!v.is_string()) fail(key_path(where, key), ": expected a string");
  return v.get<std::string>();
}

// Absent or null -> fallback; any other non-bool -> error.
inline bool optional_bool(const Json& obj, const std::string& key, bool fallback,
                          const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) fail(key_path(where, key), ": expected true or false");
  return it->get<bool>();
}

inline std::string optional_string(const Json& obj, const std::string& key,
                                   const std::string& fallback, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) fail(key_path(where, key), ": expected a string");
  return it->get<std::string>();
}

inline const Json& required_array(const Json& obj, const std::string& key,
                                  const std::string& where) {
  const Json& v = required(obj, key, where);
  if (!v.is_array()) fail(key_path(where, key), ": expected an array");
  return v;
}

inline int64_t required_int(const Json& obj, const std::string& key, const std::string& where) {
  const Json& v = required(obj, key, where);
  if (!v.is_number_integer()) fail(key_path(where, key), ": expected an integer");
  return v.get<int64_t>();
}

// A component's "type" tag.
inline std::string type_tag(const Json& obj, const std::string& where) {
  return required_string(obj, "type", where);
}

}  // namespace llmrun::tok
