#pragma once
// GPT-2's byte-level alphabet: every byte maps to one printable code point, so any
// UTF-8 text becomes a string of vocabulary characters ("Ġ" is the space byte 0x20).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmrun::tok {

class ByteLevelAlphabet {
 public:
  // The one shared, immutable table.
  static const ByteLevelAlphabet& get();

  // The UTF-8 of the code point standing for `byte`.
  std::string_view encode(uint8_t byte) const { return {utf8_[byte].data(), len_[byte]}; }
  // The byte a code point stands for, or -1 when it is not in the alphabet.
  int decode(uint32_t cp) const { return cp < 324 ? byte_of_[cp] : -1; }

  void encode_append(std::string_view text, std::string& out) const;

 private:
  ByteLevelAlphabet();
  std::array<std::array<char, 2>, 256> utf8_{};
  std::array<uint8_t, 256> len_{};
  std::array<int16_t, 324> byte_of_{};  // code points used are < 256 + 68
};

}  // namespace llmrun::tok
