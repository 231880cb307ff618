#pragma once
// The weight formats and their codec records. A weight matrix W[rows, cols] is stored
// row by row; each row is ceil(cols / block_size) blocks of block_bytes, plus one fp32
// scale per row for scaled formats (value = decode(code) * scale). Generic code (CPU
// and CUDA matmuls, loaders, writers) reads this table, so a new format is one codec
// file plus one row here.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace llmrun {

// Append-only: the numbers are written into quantized checkpoint files.
enum class WeightFormat : uint8_t {
  f32 = 0,
  f16 = 1,
  bf16 = 2,
  int8 = 3,      // "int8-row": q = clamp(rne(w / scale), -127, 127), scale = amax / 127 (int8.h)
  fp8_e4m3 = 4,  // "fp8-row": OCP E4M3FN, scale = amax / 448, 1 code per byte (fp8_e4m3.h)
  fp6_e3m2 = 5,  // "fp6-e3m2": E3M2, scale = amax / 28, 4 codes per 3 bytes (fp6_e3m2.h)
  fp6_e2m3 = 6,  // "fp6-e2m3": E2M3, scale = amax / 7.5, packed as fp6_e3m2 (fp6_e2m3.h)
  // Group-scaled (grouped_codec.h): an fp16 scale per 32 weights inside each block.
  int8_g32 = 7,      // "int8-g32": 2 + 32 bytes per 32 weights (8.5 bits), as Q8_0
  fp8_g32 = 8,       // "fp8-g32": 2 + 32 bytes (8.5 bits)
  fp6_e2m3_g32 = 9,  // "fp6-e2m3-g32": 2 + 24 bytes (6.5 bits)
  // The same with a scale per 64 weights.
  int8_g64 = 10,      // "int8-g64": 2 + 64 bytes per 64 weights (8.25 bits)
  fp8_g64 = 11,       // "fp8-g64": 2 + 64 bytes (8.25 bits)
  fp6_e2m3_g64 = 12,  // "fp6-e2m3-g64": 2 + 48 bytes (6.25 bits)
};

struct CodecRecord {
  WeightFormat format;
  const char* name;       // as written in files and reports, and accepted on the command line: "fp8-g32"
  int bits;               // bits per weight, excluding the per-row scale
  int block_size;         // weights per packed block
  int block_bytes;        // bytes per packed block
  bool scaled;            // one fp32 scale per row (value = decode(code) * scale)
  float max_code_value;   // largest finite decoded code (scale = amax / this); 0 for f32/f16/bf16

  // src[n] fp32 -> dst packed row (padded to whole blocks); writes the row's scale
  // (1 for unscaled formats and for all-zero rows). src must be finite.
  void (*encode_row)(const float* src, int64_t n, uint8_t* dst, float* scale);
  // packed row -> dst[n] fp32, scale applied.
  void (*decode_row)(const uint8_t* src, float scale, int64_t n, float* dst);
  // Reference dot product of a packed row with x[n] fp32, fp32 accumulation.
  float (*dot_row)(const uint8_t* src, float scale, const float* x, int64_t n);
  // Index of the first of a packed row's n codes that decodes to NaN or +-inf, or -1.
  // Packed rows read from files are checked with it: such a code must never reach a kernel
  // (decoders need not agree on it: the AVX2 fp8 decode gave 480 where the reference gave NaN).
  int64_t (*first_non_finite)(const uint8_t* src, int64_t n);
  // Group-scaled formats: weights per scale (= block_size; the fp16 scale is inside each
  // block, the row scale is 1), and that scale of a block. 0 / nullptr otherwise.
  int group_size = 0;
  float (*block_scale)(const uint8_t* block) = nullptr;
  // Group-scaled formats: the per-row format whose codes (and packing) a group holds after
  // its scale; kernels keep those codes apart from the scales (codes_format()).
  WeightFormat element = WeightFormat::f32;
  // Formats that search their scales (group-scaled): encode_row with an importance per
  // input (importance[n], finite, >= 0: the mean square of the activation each weight of
  // the row multiplies), minimizing the importance-weighted squared error. nullptr for
  // formats whose scale is fixed by the row's largest weight.
  void (*encode_row_weighted)(const float* src, int64_t n, const float* importance, uint8_t* dst,
                              float* scale) = nullptr;

  int64_t row_bytes(int64_t n) const { return (n + block_size - 1) / block_size * block_bytes; }
  // The format of the codes as kernels lay them out: the element format of a group-scaled
  // format, else the format itself.
  WeightFormat codes_format() const { return group_size > 0 ? element : format; }
  // Rows are stored as packed bytes (U8 [rows, row_bytes]) rather than as a float dtype.
  bool packed() const { return scaled || group_size > 0; }
};

const CodecRecord& codec(WeightFormat format);
// Every registered format, in enum order; tests loop over this.
const std::vector<const CodecRecord*>& all_codecs();
// The names users type for a width ("int8", "fp8", "fp6"): each names the most accurate
// format of that width that also meets the decode-speed targets (docs/ACCURACY.md), so
// what it means can change between releases; files and reports always hold codec names.
struct FormatAlias {
  const char* name;
  WeightFormat format;
};
const std::vector<FormatAlias>& format_aliases();

// The aliases ("int8 (= int8-g32)") then every codec's name in table order, joined by separator.
std::string weight_format_names(const std::string& separator);

// A name a user typed (an alias or a codec name): "fp8" -> WeightFormat::fp8_g32,
// "fp8-row" -> WeightFormat::fp8_e4m3; throws llmrun::Error listing the valid names.
WeightFormat parse_weight_format(const std::string& name);
// A name read from a file llmrun wrote (quantized checkpoints): codec names, and the names
// the per-row formats had before the aliases existed ("int8", "fp8", "fp6" = per row), so
// older files keep their meaning. Aliases are not accepted: a file names one exact format.
WeightFormat parse_stored_weight_format(const std::string& name);
const char* format_name(WeightFormat format);

}  // namespace llmrun
