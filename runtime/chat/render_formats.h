#pragma once
// The per-format renderers behind render_chat() (internal to runtime/chat). Each receives a
// non-empty message list whose roles are already checked to be system/user/assistant, and
// follows its HF template line by line; the template's text is quoted in its .cpp file.
#include <string>
#include <vector>

#include "runtime/chat/chat_format.h"

namespace llmrun::chat::detail {

using RenderFn = std::string (*)(const ChatFormat&, const std::vector<Message>&,
                                 const RenderOptions&);

std::string render_plain(const ChatFormat&, const std::vector<Message>&, const RenderOptions&);
std::string render_chatml(const ChatFormat&, const std::vector<Message>&, const RenderOptions&);
std::string render_llama3(const ChatFormat&, const std::vector<Message>&, const RenderOptions&);
std::string render_llama2(const ChatFormat&, const std::vector<Message>&, const RenderOptions&);
std::string render_mistral(const ChatFormat&, const std::vector<Message>&, const RenderOptions&);

// The renderer in the format's table row (chat_format.cpp).
RenderFn renderer_of(const ChatFormat& format);

}  // namespace llmrun::chat::detail
