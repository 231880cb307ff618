#include "loaders/tokenizer/byte_level.h"

#include "loaders/tokenizer/utf8.h"

namespace llmrun::tok {

ByteLevelAlphabet::ByteLevelAlphabet() {
  byte_of_.fill(-1);
  // Printable Latin-1 bytes stand for themselves; the others (controls, space, 0x7F-0xA0,
  // 0xAD) take the code points 256, 257, ... in byte order.
  uint32_t next_extra = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    const uint32_t cp = printable ? static_cast<uint32_t>(b) : next_extra++;
    std::string s;
    utf8::append(s, cp);
    len_[b] = static_cast<uint8_t>(s.size());
    for (size_t i = 0; i < s.size(); ++i) utf8_[b][i] = s[i];
    byte_of_[cp] = static_cast<int16_t>(b);
  }
}

const ByteLevelAlphabet& ByteLevelAlphabet::get() {
  static const ByteLevelAlphabet table;
  return table;
}

void ByteLevelAlphabet::encode_append(std::string_view text, std::string& out) const {
  for (char c : text) {
    const auto b = static_cast<uint8_t>(c);
    out.append(utf8_[b].data(), len_[b]);
  }
}

}  // namespace llmrun::tok
