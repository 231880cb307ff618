#include "kernels/cuda/weight_layout.h"

#include <cmath>
#include <cstring>

#include "kernels/quant/fp6_e3m2.h"
#include "kernels/quant/grouped_codec.h"
#include "runtime/error.h"

namespace llmrun::cuda_layout {

Geometry geometry(WeightFormat format) {
  const Geometry g = geometry_of(format);
  if (g.codes_per_segment == 0) fail("weight format ", format_name(format), " has no CUDA device layout");
  return g;
}

int64_t device_row_bytes(WeightFormat format, int64_t cols) { return k_pad(cols) * codec(format).bits / 8; }

namespace {

// Code j of a row in a byte-addressed format: `bytes` bytes per code, little endian.
uint32_t read_code(const uint8_t* p, int bytes) {
  uint32_t v = 0;
  std::memcpy(&v, p, size_t(bytes));
  return v;
}

// `count` codes of a whole-byte format from src into row codes first, first + 1, ...: code
// k of segment s goes to chunk (k % kCodes) / codes_per_chunk of that segment, at its
// position within the chunk.
void pack_row_bytes(const uint8_t* src, int64_t count, int code_bytes, const Geometry& g, int64_t segments,
                    uint8_t* dst, int64_t first) {
  const int per_chunk = kChunkBytes / code_bytes;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t k = first + i;
    const int64_t s = k / g.codes_per_segment;
    const int j = int(k % g.codes_per_segment);
    std::memcpy(dst + chunk_offset(s, j / per_chunk, segments) + (j % per_chunk) * code_bytes,
                src + i * code_bytes, size_t(code_bytes));
  }
}

void put_fp6(uint8_t* row, int64_t segments, int64_t k, uint32_t code) {
  const int64_t s = k / 64;
  const int j = int(k % 64);
  // Words are little endian in memory, as a 16-byte load leaves them in registers.
  auto word = [&](int chunk, int w) { return row + chunk_offset(s, chunk, segments) + 4 * w; };
  auto set_bit = [](uint8_t* w, int bit) { w[bit / 8] = uint8_t(w[bit / 8] | 1u << (bit % 8)); };
  const int nw = fp6_nibble_word(j);
  uint8_t* nib = word(nw / 4, nw % 4);
  const int shift = fp6_nibble_shift(j);
  nib[shift / 8] = uint8_t(nib[shift / 8] | (code & 0xfu) << (shift % 8));
  uint8_t* two = word(2, fp6_pair_word(j));
  if (code & 0x10u) set_bit(two, fp6_e2_bit(j));
  if (code & 0x20u) set_bit(two, fp6_sign_bit(j));
}

uint32_t get_fp6(const uint8_t* row, int64_t segments, int64_t k) {
  const int64_t s = k / 64;
  const int j = int(k % 64);
  auto word = [&](int chunk, int w) { return read_code(row + chunk_offset(s, chunk, segments) + 4 * w, 4); };
  const int nw = fp6_nibble_word(j);
  const uint32_t nib = (word(nw / 4, nw % 4) >> fp6_nibble_shift(j)) & 0xfu;
  const uint32_t two = word(2, fp6_pair_word(j));
  return nib | ((two >> fp6_e2_bit(j)) & 1u) << 4 | ((two >> fp6_sign_bit(j)) & 1u) << 5;
}

// Code `col` of a host row of format c (a group-scaled format's element code), and the
// fp16 scale of the group holding it.
uint32_t host_row_code(const CodecRecord& c, const uint8_t* row, int64_t col) {
  int64_t i = col;
  if (c.group_size > 0) {
    row += col / c.group_size * c.block_bytes + 2;  // past the block's fp16 scale
    i = col % c.group_size;
  }
  if (is_fp6(c.format)) {
    uint8_t codes[4];
    quant::fp6_unpack4(row + i / 4 * 3, codes);
    return codes[i % 4];
  }
  return read_code(row + i * (c.bits / 8), c.bits / 8);
}

uint16_t host_group_scale(const CodecRecord& c, const uint8_t* row, int64_t group) {
  return quant::block_scale_bits(row + group * c.block_bytes);
}

}  // namespace

DevicePackedWeight pack_for_device(const HostWeight& w) {
  const CodecRecord& c = codec(w.format);
  if (!has_device_layout(w.format))
    fail(w.name, ": weight format ", c.name, " has no CUDA kernel yet (it runs on the CPU: --device cpu)");
  const Geometry g = geometry(w.format);
  const int64_t host_row = c.row_bytes(w.cols);
  if (w.rows < 0 || w.cols < 0 || int64_t(w.packed.size()) != w.rows * host_row ||
      int64_t(w.scales.size()) != w.rows)
    fail(w.name, ": packed ", format_name(w.format), " weight [", w.rows, ",", w.cols, "] has ", w.packed.size(),
         " bytes and ", w.scales.size(), " scales; expected ", w.rows * host_row, " and ", w.rows);

  DevicePackedWeight d;
  d.name = w.name;
  d.format = w.format;
  d.rows = w.rows;
  d.cols = w.cols;
  d.k_pad = k_pad(w.cols);
  d.segments = d.k_pad / g.codes_per_segment;
  d.row_bytes = device_row_bytes(w.format, w.cols);
  d.bytes.assign(size_t(w.rows * d.row_bytes), 0);  // pad codes = 0 (+0 in every format)
  d.scales.resize(size_t(w.rows));
  d.group_size = g.group_size;
  if (g.group_size > 0) {
    LLMRUN_CHECK(kRowAlignCodes % g.group_size == 0, c.name, ": group size ", g.group_size, " divides no padded row");
    d.groups_per_row = d.k_pad / g.group_size;
    d.group_scales.assign(size_t(w.rows * d.groups_per_row), 0);  // pad groups: 0 (their codes are +0)
  }
  const float fold = std::ldexp(1.0f, g.fold_log2);
  const int64_t host_groups = g.group_size > 0 ? (w.cols + g.group_size - 1) / g.group_size : 0;
  for (int64_t r = 0; r < w.rows; ++r) {
    const uint8_t* src = w.packed.data() + r * host_row;
    uint8_t* dst = d.bytes.data() + r * d.row_bytes;
    if (g.group_size > 0) {
      for (int64_t k = 0; k < w.cols; ++k) {
        const uint32_t code = host_row_code(c, src, k);
        if (is_fp6(w.format))
          put_fp6(dst, d.segments, k, code);
        else
          pack_row_bytes(reinterpret_cast<const uint8_t*>(&code), 1, 1, g, d.segments, dst, k);
      }
      for (int64_t gi = 0; gi < host_groups; ++gi)
        d.group_scales[size_t(r * d.groups_per_row + gi)] = host_group_scale(c, src, gi);
    } else if (is_fp6(w.format)) {
      uint8_t codes[4];
      for (int64_t k = 0; k < w.cols; ++k) {
        if (k % 4 == 0) quant::fp6_unpack4(src + k / 4 * 3, codes);
        put_fp6(dst, d.segments, k, codes[k % 4]);
      }
    } else {
      pack_row_bytes(src, w.cols, c.bits / 8, g, d.segments, dst, 0);
    }
    const float scale = w.scales[size_t(r)] * fold;  // exact unless it overflows
    if (!std::isfinite(scale) || !std::isfinite(w.scales[size_t(r)]))
      fail(w.name, ": row ", r, " scale ", w.scales[size_t(r)], " times 2^", g.fold_log2,
           " is not a finite fp32 (the device layout folds that power of two into the scale)");
    d.scales[size_t(r)] = scale;
  }
  return d;
}

uint32_t unpack_code(const DevicePackedWeight& w, int64_t row, int64_t col) {
  LLMRUN_CHECK(row >= 0 && row < w.rows && col >= 0 && col < w.k_pad, w.name, " (", row, ",", col, ")");
  const uint8_t* r = w.bytes.data() + row * w.row_bytes;
  if (is_fp6(w.format)) return get_fp6(r, w.segments, col);
  const Geometry g = geometry(w.format);
  const int code_bytes = codec(w.format).bits / 8;
  const int per_chunk = kChunkBytes / code_bytes;
  const int64_t s = col / g.codes_per_segment;
  const int j = int(col % g.codes_per_segment);
  return read_code(r + chunk_offset(s, j / per_chunk, w.segments) + (j % per_chunk) * code_bytes, code_bytes);
}

uint32_t host_code(const HostWeight& w, int64_t row, int64_t col) {
  const CodecRecord& c = codec(w.format);
  return host_row_code(c, w.packed.data() + row * c.row_bytes(w.cols), col);
}

}  // namespace llmrun::cuda_layout
