#pragma once
// The two Unicode classes HF's added-token matching and Strip use (Rust's \s and \w).
#include <cstdint>

namespace llmrun::tok {

// Unicode White_Space (Rust's char::is_whitespace and regex \s).
bool is_white_space(uint32_t cp);

// Rust regex \w: alphabetic, marks, decimal digits, connector punctuation, joiners.
bool is_word_char(uint32_t cp);

}  // namespace llmrun::tok
