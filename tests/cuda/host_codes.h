#pragma once
// Writing single codes into a host codec row, for tests that build weights code by code.
#include <cstdint>
#include <cstring>

#include "kernels/cuda/weight_layout.h"
#include "kernels/quant/fp6_e3m2.h"
#include "kernels/quant/weight_format.h"

namespace llmrun::testing {

// Code k of a host row of format c set to `code` (a group-scaled format's element code,
// inside its block after the block's fp16 scale).
inline void put_host_code(const CodecRecord& c, uint8_t* row, int64_t k, uint32_t code) {
  if (c.group_size > 0) {
    row += k / c.group_size * c.block_bytes + 2;
    k %= c.group_size;
  }
  if (cuda_layout::is_fp6(c.format)) {
    uint8_t codes[4];
    quant::fp6_unpack4(row + k / 4 * 3, codes);
    codes[k % 4] = uint8_t(code & 0x3fu);
    quant::fp6_pack4(codes, row + k / 4 * 3);
  } else {
    std::memcpy(row + k * (c.bits / 8), &code, size_t(c.bits / 8));
  }
}

// The fp16 scale of group g of a host row of a group-scaled format c set to h.
inline void put_group_scale(const CodecRecord& c, uint8_t* row, int64_t g, uint16_t h) {
  row[g * c.block_bytes] = uint8_t(h & 0xff);
  row[g * c.block_bytes + 1] = uint8_t(h >> 8);
}

}  // namespace llmrun::testing
