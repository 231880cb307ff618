#include "runtime/chat/detect_chat_format.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/error.h"

namespace llmrun::chat {
namespace {

bool contains(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A Jinja string literal's escapes (Jinja decodes them with Python's unicode-escape; the
// templates only use these).
std::string unescape_literal(const std::string& raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\' || i + 1 == raw.size()) {
      out += raw[i];
      continue;
    }
    const char c = raw[++i];
    switch (c) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '\\': case '\'': case '"': out += c; break;
      default: out += '\\'; out += c;
    }
  }
  return out;
}

// The system turn a ChatML template writes as one literal when messages[0] is not a system
// message: '<|im_start|>system\n<text><|im_end|>\n' (Qwen1.5/Qwen2/Qwen2.5). Empty if none.
std::string literal_default_system(const std::string& tmpl) {
  const std::string marker = "<|im_start|>system";
  const std::string head = "<|im_start|>system\n", tail = "<|im_end|>\n";
  for (size_t at = tmpl.find(marker); at != std::string::npos; at = tmpl.find(marker, at + 1)) {
    if (at == 0) continue;
    const char quote = tmpl[at - 1];
    if (quote != '\'' && quote != '"') continue;
    size_t end = at;
    while (end < tmpl.size() && tmpl[end] != quote) end += tmpl[end] == '\\' ? 2 : 1;
    if (end >= tmpl.size()) continue;
    const std::string text = unescape_literal(tmpl.substr(at, end - at));
    if (text.size() > head.size() + tail.size() && starts_with(text, head) && ends_with(text, tail))
      return text.substr(head.size(), text.size() - head.size() - tail.size());
  }
  return "";
}

ChatFormatDetection detect_chatml(const std::string& tmpl) {
  ChatFormatDetection d;
  d.format.id = ChatFormatId::chatml;
  d.format.thinking = contains(tmpl, "<think>") || contains(tmpl, "enable_thinking");
  d.format.default_system = literal_default_system(tmpl);
  d.format.generation_prompt_always = !contains(tmpl, "add_generation_prompt");
  if (contains(tmpl, "<|im_sep|>"))
    d.note = "<|im_sep|> marks Phi-4's format, not ChatML: rendered as chatml, the prompt will "
             "differ; choose a format with --chat-format";
  else if (contains(tmpl, "<think>") && !contains(tmpl, "enable_thinking"))
    d.note = "the chat template handles <think> but has no enable_thinking switch (Qwen3-2507 "
             "style): rendered with Qwen3's rules, the generation prompt may differ";
  return d;
}

ChatFormatDetection detect_llama3(const std::string& tmpl) {
  ChatFormatDetection d;
  d.format.id = ChatFormatId::llama3;
  d.format.generation_prompt_always = !contains(tmpl, "add_generation_prompt");
  if (contains(tmpl, "Cutting Knowledge Date") || contains(tmpl, "date_string"))
    d.note = "Llama 3.1+ chat template: its default system block (knowledge cutoff, today's "
             "date) and tool prompts are not reproduced by the llama3 format";
  return d;
}

ChatFormatDetection detect_inst(const std::string& tmpl) {
  ChatFormatDetection d;
  if (contains(tmpl, "<<SYS>>")) {
    d.format.id = ChatFormatId::llama2;
    if (!contains(tmpl, "content.strip()") || !contains(tmpl, "bos_token + '[INST] '"))
      d.note = "a Llama-2-like template that differs from Llama-2-chat's (stripping or BOS per "
               "turn): rendered as llama2";
  } else {
    d.format.id = ChatFormatId::mistral;
    if (!contains(tmpl, "' [INST] '"))
      d.note = "not Mistral's v1 template (v3, Tekken and v7 place spaces and the system prompt "
               "differently): rendered as mistral v1";
  }
  return d;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

ChatFormatDetection detect_chat_format(const std::string& chat_template) {
  if (chat_template.empty()) return {};
  if (contains(chat_template, "<|im_start|>")) return detect_chatml(chat_template);
  if (contains(chat_template, "<|start_header_id|>")) return detect_llama3(chat_template);
  if (contains(chat_template, "[INST]")) return detect_inst(chat_template);
  ChatFormatDetection d;
  d.note = "chat_template not recognised (no <|im_start|>, <|start_header_id|> or [INST]): "
           "using plain completion; choose one with --chat-format";
  return d;
}

ChatFormatDetection detect_chat_format_from_tokenizer_config(const std::string& path) {
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(read_text(path));
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": invalid JSON: ", e.what());
  }
  if (!config.is_object()) fail(path, ": expected a JSON object");
  const auto it = config.find("chat_template");
  if (it == config.end() || it->is_null()) {
    const std::filesystem::path jinja =
        std::filesystem::path(path).parent_path() / "chat_template.jinja";
    if (std::filesystem::exists(jinja)) return detect_chat_format(read_text(jinja.string()));
    return {};
  }
  if (it->is_string()) return detect_chat_format(it->get<std::string>());
  if (it->is_array()) {
    for (const auto& entry : *it) {
      if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") ||
          !entry["name"].is_string() || !entry["template"].is_string())
        fail(path, ": chat_template: list entries must be {\"name\": string, \"template\": string}");
      if (entry["name"] == "default") return detect_chat_format(entry["template"].get<std::string>());
    }
    fail(path, ": chat_template: a list of templates without a \"default\" entry");
  }
  fail(path, ": chat_template: expected a string or a list of {name, template}");
}

}  // namespace llmrun::chat
