#pragma once
// tokenizer.json "post_processor": the ids added around a text when encode() is asked
// for special tokens (TemplateProcessing's "<s> $A", RobertaProcessing's <s> ... </s>).
#include <cstdint>
#include <string>
#include <vector>

#include "loaders/tokenizer/json_fields.h"

namespace llmrun::tok {

class PostProcessor {
 public:
  // null -> adds nothing. Unsupported types fail naming `where`.
  PostProcessor(const Json& spec, const std::string& where);

  // The single-sequence result for `ids` with special tokens added.
  std::vector<int32_t> apply(const std::vector<int32_t>& ids) const;
  // Fails naming `where` when an id it adds is not below vocab_size.
  void check_ids(size_t vocab_size, const std::string& where) const;

 private:
  // The single-sequence template: ids to insert, with kSequence standing for the text.
  static constexpr int64_t kSequence = -1;
  std::vector<int64_t> template_;
};

}  // namespace llmrun::tok
