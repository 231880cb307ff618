#pragma once
// The device layout of a weight W[rows, cols], one per WeightFormat, and the host function
// that re-packs the host codec layout (kernels/quant) into it. Host-only and flavor-
// independent (library llmrun_cuda_layout, namespace llmrun::cuda_layout); the offset
// helpers are LLMRUN_HD so kernels compute addresses with the very same code.
//
// Every row holds K_pad = round_up(cols, 64) codes, so every row starts 16-byte aligned
// (row_bytes = K_pad * bits / 8 is a multiple of 48); rows are contiguous; pad codes are 0,
// which decodes to +0 in every format. A row is cut into segments of kCodes codes, each
// read by one lane as kChunks 16-byte loads. Chunk q of segment s of a row of S segments
// sits at byte (q * S + s) * 16 ("planar"): the lanes of a warp reading segments s..s+31
// turn each of their kChunks loads into one contiguous 512-byte request.
//
//   format    kCodes kChunks  segment contents                              fold
//   f32          8     2      chunk q = codes 4q..4q+3 (fp32 bits)          1
//   f16, bf16    8     1      codes 0..7 (16-bit codes, little endian)      1
//   int8, fp8   16     1      byte j = code j                               1
//   fp6         64     3      chunks 0,1: 4-bit plane; chunk 2: 2-bit plane 2^12
//
// fp6 (E3M2 code = s e2 e1 e0 m1 m0) is split FP6-LLM style so a lane builds fp16 bit
// patterns with shifts and masks alone (dequant.cuh). The f16 built is
// (s << 15) | (code & 0x1f) << 8, i.e. exponent field 00 e2 e1 e0 and mantissa m1 m0
// 00000000, whose value is exactly fp6 * 2^-12 (f16 bias 15 vs fp6 bias 3; subnormals
// line up too). The 2^12 is folded into the device scale: device scale = codec scale *
// 4096 (exact: a power of two; pack_for_device rejects a product that overflows).
// Segment codes j = 0..63 form 8 groups g = j / 8 of 4 pairs i = (j % 8) / 2, h = j % 2:
//
//   4-bit plane: word g (chunk g / 4, word g % 4), one nibble per code (e1 e0 m1 m0):
//     bits  31..28 27..24 23..20 19..16 15..12 11..8  7..4   3..0
//     code   7      5      3      1      6      4      2      0      (of group g)
//     pair i: (word << (8 - 4i)) & 0x0F000F00 puts its two nibbles at f16 bits 11..8.
//   2-bit plane: word g / 2 of chunk 2 serves groups 2w, 2w+1: pair p = 4 * (g % 2) + i,
//     x = 2p; the low code of the pair keeps e2 at bit x and s at bit x+3, the high code
//     at x+16 and x+19 (all mod 32). These 8 sets partition the word's 32 bits, and
//     rotr(word, (x - 12) mod 32) & 0x90009000 puts each pair's e2 and s at f16 bits
//     12 and 15 of both halves.
//
// Scales: one fp32 per row, the codec's scale times 2^fold_log2 (above). An all-zero row
// keeps the codec's scale 1 (times the fold).
//
// Group-scaled formats (int8-g32, fp8-g32, fp6-e2m3-g32 and their -g64: grouped_codec.h) keep their
// element format's rows above (geometry's `codes`) and their row scale 1 * 2^fold_log2;
// each group of group_size codes along a row has its fp16 scale, exactly as in the host
// blocks, in a separate array group_scales[rows, k_pad / group_size] (pad groups 0; k_pad
// is a multiple of 64, so of every group size).
// A segment never straddles a group's edge unless it holds whole groups (kCodes is 16 or
// 64, the group 32 or 64), so a lane finds its codes' scales with one division.
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/quant/host_device.h"
#include "kernels/quant/weight_format.h"
#include "runtime/backend.h"

namespace llmrun::cuda_layout {

constexpr int64_t kRowAlignCodes = 64;  // K_pad = round_up(cols, 64)
constexpr int kChunkBytes = 16;         // one 128-bit load

// The per-format row of the device layout table (above).
struct Geometry {
  int codes_per_segment;   // kCodes
  int chunks_per_segment;  // kChunks
  int fold_log2;           // device scale = codec scale * 2^fold_log2
  WeightFormat codes;      // whose code layout and decode the rows use (itself, or a
                           // group-scaled format's per-row element format)
  int group_size;          // group-scaled: weights per fp16 group scale; 0: per row only
};

// The table itself, usable in constant expressions (kernels' format traits read it); a
// format without a device layout gets codes_per_segment 0.
LLMRUN_HD constexpr Geometry geometry_of(WeightFormat format) {
  switch (format) {
    case WeightFormat::f32: return {8, 2, 0, format, 0};
    case WeightFormat::f16:
    case WeightFormat::bf16: return {8, 1, 0, format, 0};
    case WeightFormat::int8:
    case WeightFormat::fp8_e4m3: return {16, 1, 0, format, 0};
    case WeightFormat::fp6_e3m2: return {64, 3, 12, format, 0};
    case WeightFormat::fp6_e2m3: return {64, 3, 14, format, 0};
    case WeightFormat::int8_g32: return {16, 1, 0, WeightFormat::int8, 32};
    case WeightFormat::fp8_g32: return {16, 1, 0, WeightFormat::fp8_e4m3, 32};
    case WeightFormat::fp6_e2m3_g32: return {64, 3, 14, WeightFormat::fp6_e2m3, 32};
    case WeightFormat::int8_g64: return {16, 1, 0, WeightFormat::int8, 64};
    case WeightFormat::fp8_g64: return {16, 1, 0, WeightFormat::fp8_e4m3, 64};
    case WeightFormat::fp6_e2m3_g64: return {64, 3, 14, WeightFormat::fp6_e2m3, 64};
  }
  return {0, 0, 0, format, 0};
}

LLMRUN_HD constexpr bool has_device_layout(WeightFormat format) { return geometry_of(format).codes_per_segment != 0; }

// The fp6 formats (E3M2, E2M3, and E2M3 with group scales) share the host packing (4 codes
// in 3 bytes) and the device planes below; only the decode differs.
LLMRUN_HD constexpr bool is_fp6(WeightFormat format) {
  return geometry_of(format).codes == WeightFormat::fp6_e3m2 || geometry_of(format).codes == WeightFormat::fp6_e2m3;
}

// The same, throwing llmrun::Error for a format without a device layout.
Geometry geometry(WeightFormat format);

LLMRUN_HD constexpr int64_t k_pad(int64_t cols) { return (cols + kRowAlignCodes - 1) / kRowAlignCodes * kRowAlignCodes; }

// Byte offset, within a row of `segments` segments, of chunk q of segment s.
LLMRUN_HD constexpr int64_t chunk_offset(int64_t segment, int chunk, int64_t segments) {
  return (int64_t(chunk) * segments + segment) * kChunkBytes;
}

// fp6 planes: where code j (0..63) of a segment keeps its nibble and its (e2, s) bits.
LLMRUN_HD constexpr int fp6_nibble_word(int j) { return j / 8; }  // word of chunks 0..1 (0..7)
LLMRUN_HD constexpr int fp6_nibble_shift(int j) { return 4 * ((j % 8) / 2 + 4 * (j % 2)); }
LLMRUN_HD constexpr int fp6_pair_word(int j) { return j / 16; }  // word of chunk 2 (0..3)
LLMRUN_HD constexpr int fp6_e2_bit(int j) {
  return (2 * (4 * ((j / 8) % 2) + (j % 8) / 2) + 16 * (j % 2)) % 32;
}
LLMRUN_HD constexpr int fp6_sign_bit(int j) { return (fp6_e2_bit(j) + 3) % 32; }

// A weight in the device layout, on the host, ready to upload.
struct DevicePackedWeight {
  std::string name;
  WeightFormat format = WeightFormat::f32;
  int64_t rows = 0, cols = 0;
  int64_t k_pad = 0;      // codes per row, round_up(cols, 64)
  int64_t segments = 0;   // k_pad / codes_per_segment
  int64_t row_bytes = 0;  // k_pad * bits / 8
  std::vector<uint8_t> bytes;  // [rows, row_bytes] device layout
  std::vector<float> scales;   // [rows] fp32, codec scale * 2^fold_log2
  int group_size = 0;                 // geometry's group_size
  int64_t groups_per_row = 0;         // k_pad / group_size (group-scaled formats)
  std::vector<uint16_t> group_scales;  // [rows, groups_per_row] fp16 bits, or empty
};

int64_t device_row_bytes(WeightFormat format, int64_t cols);

// Re-packs a host codec weight. Throws llmrun::Error naming the weight when its sizes do
// not match its format or a folded scale overflows.
DevicePackedWeight pack_for_device(const HostWeight& w);

// The code at (row, col) as the host codec stores it: fp32 bits, f16/bf16 bits, the int8 /
// fp8 byte, the 6-bit fp6 code (of a group-scaled format: its element code). For tests
// of the layout.
uint32_t unpack_code(const DevicePackedWeight& w, int64_t row, int64_t col);
uint32_t host_code(const HostWeight& w, int64_t row, int64_t col);

}  // namespace llmrun::cuda_layout
