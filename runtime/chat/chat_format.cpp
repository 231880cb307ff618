// The format table: one row per --chat-format name. Adding a format = a renderer file and a
// row here; every lookup reads the table and fails loudly when a format has no row.
#include "runtime/chat/chat_format.h"

#include <array>

#include "runtime/chat/render_formats.h"
#include "runtime/error.h"

namespace llmrun::chat {
namespace {

struct FormatRow {
  const char* name;  // --chat-format NAME
  ChatFormatId id;
  bool thinking;
  detail::RenderFn render;
  std::array<const char*, 2> stops;  // generation_config eos of the family as text; unused: null
  bool history_prefix_stable;                // see chat_format.h and README.md
};

const FormatRow kFormats[] = {
    {"none", ChatFormatId::none, false, detail::render_plain, {nullptr, nullptr}, true},
    // Qwen's generation_config.json lists both <|im_end|> and <|endoftext|>.
    {"chatml", ChatFormatId::chatml, false, detail::render_chatml,
     {"<|im_end|>", "<|endoftext|>"}, true},
    {"qwen3", ChatFormatId::chatml, true, detail::render_chatml,
     {"<|im_end|>", "<|endoftext|>"}, false},
    // Meta-Llama-3-8B-Instruct's generation_config.json: eos [128001, 128009].
    {"llama3", ChatFormatId::llama3, false, detail::render_llama3,
     {"<|eot_id|>", "<|end_of_text|>"}, true},
    {"llama2", ChatFormatId::llama2, false, detail::render_llama2, {"</s>", nullptr}, true},
    {"mistral", ChatFormatId::mistral, false, detail::render_mistral, {"</s>", nullptr}, true},
};

const FormatRow& row_of(const ChatFormat& format) {
  // Only chatml has a thinking variant; elsewhere the flag is meaningless.
  const bool thinking = format.id == ChatFormatId::chatml && format.thinking;
  for (const FormatRow& row : kFormats)
    if (row.id == format.id && row.thinking == thinking) return row;
  fail("chat format id ", static_cast<int>(format.id), " has no row in the format table");
}

}  // namespace

namespace detail {
RenderFn renderer_of(const ChatFormat& format) { return row_of(format).render; }
}  // namespace detail

std::vector<std::string> chat_format_names() {
  std::vector<std::string> names;
  for (const FormatRow& row : kFormats) names.emplace_back(row.name);
  return names;
}

std::string chat_format_name(const ChatFormat& format) { return row_of(format).name; }

ChatFormat parse_chat_format(const std::string& name) {
  for (const FormatRow& row : kFormats) {
    if (name != row.name) continue;
    ChatFormat format;
    format.id = row.id;
    format.thinking = row.thinking;
    return format;
  }
  std::string valid;
  for (const FormatRow& row : kFormats) valid += std::string(valid.empty() ? "" : ", ") + row.name;
  fail("--chat-format: unknown format '", name, "' (valid: ", valid, ")");
}

std::vector<std::string> stop_strings(const ChatFormat& format) {
  std::vector<std::string> stops;
  for (const char* stop : row_of(format).stops)
    if (stop) stops.emplace_back(stop);
  return stops;
}

bool history_prefix_stable(const ChatFormat& format) { return row_of(format).history_prefix_stable; }

}  // namespace llmrun::chat
