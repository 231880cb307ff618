#pragma once
// GGUF tensor blocks -> float32, exactly as ggml's dequantize_row_* computes them (same
// operations in the same order, no fused multiply-add: the project builds with
// -std=c++17, where GCC does not contract). Tested value for value against gguf-py's
// gguf.quants.dequantize (tests/loaders/test_gguf_dequant.cpp).
//
// One file per block family: gguf_dequant_float.cpp (F32, F16, BF16),
// gguf_dequant_legacy.cpp (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0: 32-element blocks),
// gguf_dequant_kquants.cpp (Q4_K, Q5_K, Q6_K: 256-element super-blocks).
#include <cstdint>
#include <string>
#include <vector>

#include "loaders/gguf.h"

namespace llmrun {

// Decodes n_blocks consecutive blocks (block size and bytes from ggml_type_info).
using DequantBlocks = void (*)(const uint8_t* src, int64_t n_blocks, float* dst);

struct GgufDequantRecord {
  GgmlType type;
  DequantBlocks decode;
};

// Every type we can convert; a test loops over it against the goldens.
const std::vector<GgufDequantRecord>& gguf_dequant_table();
// nullptr when the type cannot be converted.
DequantBlocks gguf_dequant_for(GgmlType type);
// "F32, F16, ..." for error messages.
std::string gguf_dequant_type_names();

// The whole tensor in float32, ggml element order (row-major over ne[0] fastest).
// An unsupported type is an error naming the file, tensor and type.
std::vector<float> gguf_to_f32(const GgufTensor& tensor);

namespace gguf_dequant {
void f32(const uint8_t* src, int64_t n, float* dst);
void f16(const uint8_t* src, int64_t n, float* dst);
void bf16(const uint8_t* src, int64_t n, float* dst);
void q4_0(const uint8_t* src, int64_t n, float* dst);
void q4_1(const uint8_t* src, int64_t n, float* dst);
void q5_0(const uint8_t* src, int64_t n, float* dst);
void q5_1(const uint8_t* src, int64_t n, float* dst);
void q8_0(const uint8_t* src, int64_t n, float* dst);
void q4_k(const uint8_t* src, int64_t n, float* dst);
void q5_k(const uint8_t* src, int64_t n, float* dst);
void q6_k(const uint8_t* src, int64_t n, float* dst);
}  // namespace gguf_dequant

}  // namespace llmrun
