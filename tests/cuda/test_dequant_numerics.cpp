// The device weight layout (weight_layout.h) and the register-level decoders (dequant.cuh),
// on the host, against the codecs of kernels/quant: every code of every format at every
// position of a segment, odd sizes, pad codes, scales. The decoders' host paths are what
// the host harness runs; their device-only instructions (cvt.rn.f16x2.e4m3x2, cvt.f32.f16,
// prmt, sub.f16x2) are checked over every code on a GPU by test_linear_cuda_gpu
// (DequantRowsEveryCode).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kernels/cuda/dequant.cuh"
#include "kernels/cuda/weight_layout.h"
#include "kernels/quant/fp6_e3m2.h"
#include "kernels/quant/half.h"
#include "kernels/quant/weight_format.h"
#include "runtime/error.h"
#include "tests/cuda/host_codes.h"

namespace llmrun {
namespace {

using dequant::Chunk16;
using dequant::Format;

// Same bits, or both NaN.
::testing::AssertionResult same_value(float got, float want) {
  if (std::isnan(want) && std::isnan(got)) return ::testing::AssertionSuccess();
  if (quant::f32_bits(got) == quant::f32_bits(want)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << got << " (0x" << std::hex << quant::f32_bits(got) << ") want "
                                       << want << " (0x" << quant::f32_bits(want) << ")";
}

// The codec's decoded value of one code (scale 1; a group-scaled format's element code).
float codec_value(WeightFormat f, uint32_t code) {
  f = cuda_layout::geometry_of(f).codes;
  const CodecRecord& c = codec(f);
  std::vector<uint8_t> row(size_t(c.row_bytes(c.block_size)), 0);
  if (cuda_layout::is_fp6(f)) {
    const uint8_t codes[4] = {uint8_t(code), 0, 0, 0};
    quant::fp6_pack4(codes, row.data());
  } else {
    std::memcpy(row.data(), &code, size_t(c.bits / 8));
  }
  std::vector<float> out(size_t(c.block_size));
  c.decode_row(row.data(), 1.0f, c.block_size, out.data());
  return out[0];
}

TEST(DequantNumerics, F16AndBf16EveryBitPattern) {
  for (uint32_t h = 0; h < 65536; ++h) {
    ASSERT_TRUE(same_value(dequant::f16_to_f32(h), codec_value(WeightFormat::f16, h))) << "f16 0x" << std::hex << h;
    float lo, hi;
    dequant::f16x2_to_f32(h | (h ^ 0x8000u) << 16, lo, hi);
    ASSERT_TRUE(same_value(lo, codec_value(WeightFormat::f16, h))) << std::hex << h;
    ASSERT_TRUE(same_value(hi, codec_value(WeightFormat::f16, h ^ 0x8000u))) << std::hex << h;
    dequant::bf16x2_to_f32(h | (h ^ 0x8000u) << 16, lo, hi);
    ASSERT_TRUE(same_value(lo, codec_value(WeightFormat::bf16, h))) << "bf16 0x" << std::hex << h;
    ASSERT_TRUE(same_value(hi, codec_value(WeightFormat::bf16, h ^ 0x8000u))) << std::hex << h;
  }
}

TEST(DequantNumerics, Int8EveryValueInEveryByte) {
  for (int q = -128; q < 128; ++q) {
    const uint32_t b = uint8_t(int8_t(q));
    const float want = codec_value(WeightFormat::int8, b);
    ASSERT_EQ(want, float(q));
    for (int pos = 0; pos < 4; ++pos) {
      // The other bytes hold other values, so a byte leaking into its neighbour shows.
      const uint32_t word = (0x7f80ff01u & ~(0xffu << 8 * pos)) | b << 8 * pos;
      float out[4];
      dequant::int8x4_to_f32(word, out);
      ASSERT_TRUE(same_value(out[pos], want)) << "q " << q << " byte " << pos;
      const uint32_t h2 = dequant::int8x2_to_f16x2(word, pos / 2);
      ASSERT_EQ((h2 >> 16 * (pos % 2)) & 0xffffu, quant::f32_to_f16(want)) << "q " << q << " byte " << pos;
      const uint32_t biased = dequant::int8x2_to_f16x2_biased(word ^ 0x80808080u, pos / 2);
      ASSERT_EQ(quant::f16_to_f32(uint16_t(biased >> 16 * (pos % 2))), 1152.0f + float(q));
    }
  }
}

TEST(DequantNumerics, Fp8EveryCodeInBothHalves) {
  for (uint32_t code = 0; code < 256; ++code) {
    const float want = codec_value(WeightFormat::fp8_e4m3, code);
    for (uint32_t other : {0x00u, 0x7fu, 0x81u, 0xfeu}) {
      const uint32_t lo_first = dequant::e4m3x2_to_f16x2(code | other << 8);
      const uint32_t hi_first = dequant::e4m3x2_to_f16x2(other | code << 8);
      ASSERT_TRUE(same_value(quant::f16_to_f32(uint16_t(lo_first)), want)) << "code 0x" << std::hex << code;
      ASSERT_TRUE(same_value(quant::f16_to_f32(uint16_t(hi_first >> 16)), want)) << "code 0x" << std::hex << code;
      if (std::isnan(want)) {
        ASSERT_EQ(lo_first & 0xffffu, 0x7fffu) << "NaN as NVIDIA's conversion gives it";
      }
    }
  }
}

// Segment decoders: a weight whose codes sweep every code of the format at every position
// of a segment, re-packed by pack_for_device, decoded segment by segment and scaled with
// the device scale (and group scale), must equal the codec's decode_row bit for bit.
HostWeight sweep_weight(WeightFormat f, int64_t rows, int64_t cols, uint32_t seed) {
  const CodecRecord& c = codec(f);
  HostWeight w;
  w.name = std::string("sweep.") + c.name;
  w.format = f;
  w.rows = rows;
  w.cols = cols;
  w.packed.assign(size_t(rows * c.row_bytes(cols)), 0);
  w.scales.assign(size_t(rows), 1.0f);
  std::mt19937 rng(seed);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* row = w.packed.data() + r * c.row_bytes(cols);
    for (int64_t k = 0; k < cols; ++k) {
      uint32_t code = uint32_t(rng());
      if (c.bits <= 8) code = uint32_t(r * 7 + k * 13);  // rows shift the sweep across segment positions
      llmrun::testing::put_host_code(c, row, k, code);
    }
    if (c.scaled) w.scales[size_t(r)] = std::ldexp(1.0f + float(rng() % 1000) / 1000.0f, int(rng() % 40) - 30);
    // Group scales: positive fp16 from subnormal to large (codes * scale stay finite).
    for (int64_t g = 0; c.group_size > 0 && g * c.group_size < cols; ++g) {
      llmrun::testing::put_group_scale(c, row, g, uint16_t(1 + rng() % 0x5bff));
    }
  }
  return w;
}

template <WeightFormat F>
void expect_segments_decode(int64_t rows, int64_t cols) {
  SCOPED_TRACE(std::string(format_name(F)) + " [" + std::to_string(rows) + "," + std::to_string(cols) + "]");
  const CodecRecord& c = codec(F);
  const HostWeight w = sweep_weight(F, rows, cols, 7);
  const cuda_layout::DevicePackedWeight d = cuda_layout::pack_for_device(w);
  using Fmt = Format<F>;
  ASSERT_EQ(d.segments * Fmt::kCodes, d.k_pad);
  std::vector<float> want(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    c.decode_row(w.packed.data() + r * c.row_bytes(cols), w.scales[size_t(r)], cols, want.data());
    const uint8_t* row = d.bytes.data() + r * d.row_bytes;
    for (int64_t s = 0; s < d.segments; ++s) {
      Chunk16 chunks[Fmt::kChunks];
      for (int q = 0; q < Fmt::kChunks; ++q)
        std::memcpy(&chunks[q], row + cuda_layout::chunk_offset(s, q, d.segments), sizeof(Chunk16));
      for (int g = 0; g < Fmt::kGroups; ++g) {
        float got[8];
        Fmt::decode8(chunks, g, got);
        const float gs = Fmt::kGroupSize > 0 ? dequant::group_scale(d.group_scales.data() + r * d.groups_per_row +
                                                                    Fmt::first_group(s) + Fmt::scale_of(g))
                                             : 1.0f;
        for (int j = 0; j < 8; ++j) {
          const int64_t k = s * Fmt::kCodes + 8 * g + j;
          if (k >= cols) {
            ASSERT_TRUE(same_value(got[j], 0.0f)) << "pad code at " << k;  // +0
            continue;
          }
          if (Fmt::kGroupSize > 0) {
            ASSERT_EQ(k / Fmt::kGroupSize, Fmt::first_group(s) + Fmt::scale_of(g)) << "the scale of col " << k;
          }
          ASSERT_TRUE(same_value(got[j] * gs * d.scales[size_t(r)], want[size_t(k)])) << "row " << r << " col " << k;
          ASSERT_TRUE(same_value(std::ldexp(got[j], Fmt::kFoldLog2),
                                 codec_value(F, cuda_layout::host_code(w, r, k))))
              << "row " << r << " col " << k;
        }
      }
    }
  }
}

TEST(DequantNumerics, SegmentDecodersEqualTheCodecs) {
  for (int64_t cols : {1, 3, 64, 65, 769}) {
    expect_segments_decode<WeightFormat::f32>(5, cols);
    expect_segments_decode<WeightFormat::f16>(5, cols);
    expect_segments_decode<WeightFormat::bf16>(5, cols);
    expect_segments_decode<WeightFormat::int8>(37, cols);
    expect_segments_decode<WeightFormat::fp8_e4m3>(37, cols);
    expect_segments_decode<WeightFormat::fp6_e3m2>(64, cols);
    expect_segments_decode<WeightFormat::fp6_e2m3>(64, cols);
    expect_segments_decode<WeightFormat::int8_g32>(37, cols);
    expect_segments_decode<WeightFormat::fp8_g32>(37, cols);
    expect_segments_decode<WeightFormat::fp6_e2m3_g32>(64, cols);
    expect_segments_decode<WeightFormat::int8_g64>(37, cols);
    expect_segments_decode<WeightFormat::fp8_g64>(37, cols);
    expect_segments_decode<WeightFormat::fp6_e2m3_g64>(64, cols);
  }
}

template <WeightFormat F>
void expect_fp6_every_code_at_every_position() {
  SCOPED_TRACE(format_name(F));
  // Row r, col k holds code (r + k) % 64: all 64 codes at each of the 64 positions.
  HostWeight w;
  w.name = "fp6.all_positions";
  w.format = F;
  w.rows = 64;
  w.cols = 64;
  w.packed.assign(size_t(64 * 48), 0);
  w.scales.assign(64, 1.0f);
  for (int r = 0; r < 64; ++r)
    for (int k = 0; k < 64; k += 4) {
      const uint8_t codes[4] = {uint8_t((r + k) % 64), uint8_t((r + k + 1) % 64), uint8_t((r + k + 2) % 64),
                                uint8_t((r + k + 3) % 64)};
      quant::fp6_pack4(codes, w.packed.data() + r * 48 + k / 4 * 3);
    }
  const cuda_layout::DevicePackedWeight d = cuda_layout::pack_for_device(w);
  for (int r = 0; r < 64; ++r) {
    Chunk16 chunks[3];
    std::memcpy(chunks, d.bytes.data() + r * d.row_bytes, sizeof chunks);
    for (int g = 0; g < 8; ++g) {
      float got[8];
      Format<F>::decode8(chunks, g, got);
      for (int j = 0; j < 8; ++j) {
        const uint32_t code = uint32_t(r + 8 * g + j) % 64;
        ASSERT_TRUE(same_value(std::ldexp(got[j], Format<F>::kFoldLog2), codec_value(F, code)))
            << "code " << code << " at " << 8 * g + j;
        ASSERT_EQ(d.scales[size_t(r)], std::ldexp(1.0f, Format<F>::kFoldLog2));
      }
    }
  }
}

TEST(DequantNumerics, Fp6EveryCodeAtEverySegmentPosition) {
  expect_fp6_every_code_at_every_position<WeightFormat::fp6_e3m2>();
  expect_fp6_every_code_at_every_position<WeightFormat::fp6_e2m3>();
}

// ---- the layout itself ------------------------------------------------------------------------

// The formats of the codec table with a device layout. The others are listed here on
// purpose: a new format fails below until it has a layout or is added to the list.
std::vector<const CodecRecord*> device_codecs() {
  std::vector<const CodecRecord*> out;
  for (const CodecRecord* c : all_codecs())
    if (cuda_layout::has_device_layout(c->format)) out.push_back(c);
  return out;
}

TEST(WeightLayout, EveryFormatHasADeviceLayoutMatchingItsCodec) {
  for (const CodecRecord* c : all_codecs()) {
    SCOPED_TRACE(c->name);
    ASSERT_TRUE(cuda_layout::has_device_layout(c->format)) << "a new format needs its row in geometry_of";
    const cuda_layout::Geometry g = cuda_layout::geometry(c->format);
    EXPECT_EQ(g.group_size, c->group_size);
    EXPECT_EQ(codec(g.codes).bits, c->bits) << "the element format's codes are the format's codes";
    EXPECT_EQ(codec(g.codes).group_size, 0);
    if (g.codes != c->format) {
      EXPECT_EQ(g.fold_log2, cuda_layout::geometry(g.codes).fold_log2);
      EXPECT_EQ(g.codes_per_segment, cuda_layout::geometry(g.codes).codes_per_segment);
    }
  }
}

TEST(WeightLayout, EveryCodeLandsWhereUnpackFindsItAndPadsAreZero) {
  for (const CodecRecord* c : device_codecs())
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {3, 769}, {2, 5125}, {5, 64}, {7, 65}, {4, 3}}) {
      SCOPED_TRACE(std::string(c->name) + " [" + std::to_string(rows) + "," + std::to_string(cols) + "]");
      const HostWeight w = sweep_weight(c->format, rows, cols, 11);
      const cuda_layout::DevicePackedWeight d = cuda_layout::pack_for_device(w);
      const cuda_layout::Geometry g = cuda_layout::geometry(c->format);
      EXPECT_EQ(d.name, w.name);
      EXPECT_EQ(d.k_pad, (cols + 63) / 64 * 64);
      EXPECT_EQ(d.row_bytes, d.k_pad * c->bits / 8);
      EXPECT_EQ(d.row_bytes % 16, 0) << "every row starts 16-byte aligned";
      EXPECT_EQ(d.row_bytes, d.segments * g.chunks_per_segment * 16);
      ASSERT_EQ(int64_t(d.bytes.size()), rows * d.row_bytes);
      EXPECT_EQ(d.group_size, c->group_size);
      if (c->group_size > 0) {
        ASSERT_EQ(d.groups_per_row, d.k_pad / c->group_size);
        ASSERT_EQ(int64_t(d.group_scales.size()), rows * d.groups_per_row);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t gi = 0; gi < d.groups_per_row; ++gi) {
            const uint8_t* block = w.packed.data() + r * c->row_bytes(cols) + gi * c->block_bytes;
            const uint16_t want = gi * c->group_size < cols ? uint16_t(block[0] | block[1] << 8) : 0;
            ASSERT_EQ(d.group_scales[size_t(r * d.groups_per_row + gi)], want) << "row " << r << " group " << gi;
          }
      } else {
        EXPECT_TRUE(d.group_scales.empty());
      }
      for (int64_t r = 0; r < rows; ++r) {
        EXPECT_EQ(d.scales[size_t(r)], std::ldexp(w.scales[size_t(r)], g.fold_log2));
        for (int64_t k = 0; k < d.k_pad; ++k) {
          const uint32_t want = k < cols ? cuda_layout::host_code(w, r, k) : 0u;
          ASSERT_EQ(cuda_layout::unpack_code(d, r, k), want) << "row " << r << " col " << k;
        }
      }
    }
}

TEST(WeightLayout, EveryByteIsOneCodeBit) {
  // Planes must not overlap: a weight of all-ones codes sets every byte of the layout to
  // 0xff within whole segments of valid codes, and nothing else.
  for (const CodecRecord* c : device_codecs()) {
    HostWeight w;
    w.name = "ones";
    w.format = c->format;
    w.rows = 1;
    w.cols = 128;
    w.packed.assign(size_t(c->row_bytes(128)), 0xff);
    w.scales.assign(1, 1.0f);
    const cuda_layout::DevicePackedWeight d = cuda_layout::pack_for_device(w);
    for (size_t i = 0; i < d.bytes.size(); ++i) ASSERT_EQ(d.bytes[i], 0xff) << c->name << " byte " << i;
  }
}

TEST(WeightLayout, ErrorsNameTheWeight) {
  HostWeight w;
  w.name = "model.layers.0.mlp.up_proj.weight";
  w.format = WeightFormat::int8;
  w.rows = 2;
  w.cols = 10;
  w.packed.assign(19, 0);
  w.scales.assign(2, 1.0f);
  try {
    cuda_layout::pack_for_device(w);
    FAIL() << "a short weight was packed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("up_proj"), std::string::npos) << e.what();
  }
  w.format = WeightFormat::fp6_e3m2;
  w.packed.assign(size_t(2 * codec(WeightFormat::fp6_e3m2).row_bytes(10)), 0);
  w.scales = {1.0f, 3e38f};  // times 2^12 overflows
  EXPECT_THROW(cuda_layout::pack_for_device(w), Error);
}

}  // namespace
}  // namespace llmrun
