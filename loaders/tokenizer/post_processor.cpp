#include "loaders/tokenizer/post_processor.h"

namespace llmrun::tok {
namespace {

// A token id that fits int32 (2^32+1 must not wrap to 1); PostProcessor::check_ids
// compares it with the vocabulary once that is known.
int64_t checked_id(const Json& id, const std::string& where) {
  if (id.is_number_unsigned() ? id.get<uint64_t>() > uint64_t(INT32_MAX)
                              : (id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX))
    fail(where, ": id ", id.dump(), " is not a token id (0..", INT32_MAX, ")");
  return id.get<int64_t>();
}

// Appends the template of one processor to `out` (kSequence where the text goes).
void build(const Json& spec, const std::string& where, std::vector<int64_t>& tmpl,
           int64_t sequence_marker) {
  if (spec.is_null()) return;
  const std::string type = type_tag(spec, where);
  auto token_pair_id = [&](const char* key) -> int64_t {
    // RobertaProcessing / BertProcessing store ["</s>", 2].
    const Json& v = required(spec, key, where);
    if (!v.is_array() || v.size() != 2 || !v[1].is_number_integer())
      fail(key_path(where, key), ": expected [token, id]");
    return checked_id(v[1], key_path(where, key));
  };
  if (type == "ByteLevel") return;  // offsets only
  if (type == "TemplateProcessing") {
    const Json& single = required_array(spec, "single", where);
    const Json& specials = required(spec, "special_tokens", where);
    std::vector<int64_t> inner;
    for (size_t i = 0; i < single.size(); ++i) {
      const std::string pw = where + ".single[" + std::to_string(i) + "]";
      const Json& piece = single[i];
      if (piece.contains("Sequence")) {
        inner.push_back(sequence_marker);
      } else if (piece.contains("SpecialToken")) {
        const std::string name = required_string(piece["SpecialToken"], "id", pw + ".SpecialToken");
        const std::string sw = where + ".special_tokens[\"" + name + "\"]";
        if (!specials.contains(name)) fail(sw, ": missing");
        const Json& ids = required_array(specials[name], "ids", sw);
        for (const Json& id : ids) {
          if (!id.is_number_integer()) fail(sw, ".ids: expected integers");
          inner.push_back(checked_id(id, sw + ".ids"));
        }
      } else {
        fail(pw, ": expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
      }
    }
    // Replace the text marker in what came before (Sequence of processors).
    std::vector<int64_t> expanded;
    for (int64_t v : tmpl) {
      if (v == sequence_marker) expanded.insert(expanded.end(), inner.begin(), inner.end());
      else expanded.push_back(v);
    }
    tmpl = std::move(expanded);
    return;
  }
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    const int64_t cls = token_pair_id("cls"), sep = token_pair_id("sep");
    std::vector<int64_t> expanded;
    for (int64_t v : tmpl) {
      if (v == sequence_marker) {
        expanded.push_back(cls);
        expanded.push_back(sequence_marker);
        expanded.push_back(sep);
      } else {
        expanded.push_back(v);
      }
    }
    tmpl = std::move(expanded);
    return;
  }
  if (type == "Sequence") {
    const Json& list = required_array(spec, "processors", where);
    for (size_t i = 0; i < list.size(); ++i)
      build(list[i], where + ".processors[" + std::to_string(i) + "]", tmpl, sequence_marker);
    return;
  }
  fail(key_path(where, "type"), ": post-processor '", type,
       "' is not supported (supported: TemplateProcessing, RobertaProcessing, "
       "BertProcessing, ByteLevel, Sequence)");
}

}  // namespace

PostProcessor::PostProcessor(const Json& spec, const std::string& where) {
  template_.push_back(kSequence);
  build(spec, where, template_, kSequence);
}

void PostProcessor::check_ids(size_t vocab_size, const std::string& where) const {
  for (int64_t v : template_) {
    if (v != kSequence && static_cast<uint64_t>(v) >= vocab_size)
      fail(where, ": id ", v, " is not in the vocabulary (size ", vocab_size, ")");
  }
}

std::vector<int32_t> PostProcessor::apply(const std::vector<int32_t>& ids) const {
  std::vector<int32_t> out;
  out.reserve(ids.size() + template_.size());
  for (int64_t v : template_) {
    if (v == kSequence) out.insert(out.end(), ids.begin(), ids.end());
    else out.push_back(static_cast<int32_t>(v));
  }
  return out;
}

}  // namespace llmrun::tok
