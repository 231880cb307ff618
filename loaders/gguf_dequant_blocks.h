#pragma once
// Packed layouts of ggml's quantized blocks (ggml-common.h), sizes asserted against
// ggml_type_info. Fields are read with memcpy-free byte access, so the structs only
// document and size the layout.
#include <cstdint>
#include <cstring>

#include "kernels/quant/half.h"

namespace llmrun::gguf_dequant {

constexpr int kQK = 32;    // elements per legacy block
constexpr int kQKK = 256;  // elements per k-quant super-block

struct BlockQ4_0 { uint16_t d; uint8_t qs[kQK / 2]; };                        // 18 bytes
struct BlockQ4_1 { uint16_t d, m; uint8_t qs[kQK / 2]; };                     // 20
struct BlockQ5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[kQK / 2]; };         // 22
struct BlockQ5_1 { uint16_t d, m; uint8_t qh[4]; uint8_t qs[kQK / 2]; };      // 24
struct BlockQ8_0 { uint16_t d; int8_t qs[kQK]; };                             // 34
struct BlockQ4_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[kQKK / 2]; };              // 144
struct BlockQ5_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[kQKK / 8]; uint8_t qs[kQKK / 2]; };  // 176
struct BlockQ6_K { uint8_t ql[kQKK / 2]; uint8_t qh[kQKK / 4]; int8_t scales[kQKK / 16]; uint16_t d; };  // 210

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22 &&
              sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210);

// Blocks in a mapping are only byte-aligned: copy each one out before reading fields.
template <typename Block>
inline Block load_block(const uint8_t* src, int64_t i) {
  Block b;
  std::memcpy(&b, src + i * int64_t(sizeof(Block)), sizeof(Block));
  return b;
}

inline float half(uint16_t h) { return quant::f16_to_f32(h); }

}  // namespace llmrun::gguf_dequant
