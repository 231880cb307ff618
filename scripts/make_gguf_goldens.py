#!/usr/bin/env python3
"""Writes the GGUF goldens under tests/data/gguf/ with PyPI's gguf package (pinned in
scripts/requirements-gguf-goldens.txt), the reference for llama.cpp's file format and
for ggml's dequantization:

  dequant.gguf   written by gguf.GGUFWriter (alignment 64): for every tensor type llmrun
                 converts, a tensor `<type>` of random blocks (edge values included:
                 scales 0, -0, the smallest subnormal, +-65504, int8 scales -128/127)
                 and `<type>.expected`, F32, = gguf.quants.dequantize of those blocks.
                 Metadata: one key of every value type and arrays of each element type
                 (values listed in METADATA below, mirrored by the C++ test).
  types.json     every ggml type gguf-py knows: id, block size, bytes per block.

Usage: /work/venv-gguf/bin/python scripts/make_gguf_goldens.py [out_dir]
"""
import json
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T, GGUFValueType as V

SEED = 20240610
TYPES = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"]
# Finite fp16 scale bit patterns worth hitting: 0, -0, smallest subnormal, largest
# subnormal, smallest normal, 1, -1, 65504, -65504.
EDGE_F16 = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF, 0xFBFF]

METADATA = [
    ("test.u8", 200, V.UINT8, None),
    ("test.i8", -100, V.INT8, None),
    ("test.u16", 60000, V.UINT16, None),
    ("test.i16", -30000, V.INT16, None),
    ("test.u32", 4000000000, V.UINT32, None),
    ("test.i32", -2000000000, V.INT32, None),
    ("test.f32", 0.15625, V.FLOAT32, None),
    ("test.bool", True, V.BOOL, None),
    ("test.string", "h\u00e9llo \u4e16\u754c", V.STRING, None),
    ("test.u64", 9000000000000000000, V.UINT64, None),
    ("test.i64", -9000000000000000000, V.INT64, None),
    ("test.f64", -2.5e300, V.FLOAT64, None),
    ("test.array.strings", ["a", "", "\u00fc\u00df"], V.ARRAY, V.STRING),
    ("test.array.i32", [1, -2, 2147483647], V.ARRAY, V.INT32),
    ("test.array.f32", [0.5, -1.25], V.ARRAY, V.FLOAT32),
    ("test.array.u8", [0, 255], V.ARRAY, V.UINT8),
    ("test.array.bool", [True, False], V.ARRAY, V.BOOL),
]


def finite_f16_bits(rng, n):
    """Random fp16 bit patterns that are neither inf nor NaN, with the edge values mixed in."""
    bits = rng.integers(0, 1 << 16, size=n, dtype=np.uint32).astype(np.uint16)
    bits = np.where((bits & 0x7C00) == 0x7C00, bits & 0x83FF, bits).astype(np.uint16)
    k = min(n, len(EDGE_F16))
    bits[:k] = np.array(EDGE_F16[:k], dtype=np.uint16)
    return bits


def random_blocks(rng, qtype, n_blocks):
    """Random bytes for n_blocks blocks of qtype, with finite fp16 scales."""
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint32).astype(np.uint8)
    name = qtype.name
    if name == "F32":
        f = rng.standard_normal(n_blocks).astype(np.float32) * np.float32(1e3)
        f[:4] = np.array([0.0, -0.0, 1e-45, -3.4e38], dtype=np.float32)[: min(4, n_blocks)]
        return f.view(np.uint8).reshape(n_blocks, 4)
    if name in ("F16", "BF16"):
        bits = rng.integers(0, 1 << 16, size=n_blocks, dtype=np.uint32).astype(np.uint16)
        exp_mask = 0x7C00 if name == "F16" else 0x7F80
        bits = np.where((bits & exp_mask) == exp_mask, bits & ~np.uint16(exp_mask) & 0xFFFF, bits).astype(np.uint16)
        edges = EDGE_F16 if name == "F16" else [0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0x7F7F, 0xFF7F]
        bits[: len(edges)] = np.array(edges, dtype=np.uint16)
        return bits.view(np.uint8).reshape(n_blocks, 2)
    # fp16 fields: offsets in bytes of d (and m/dmin) within the block.
    f16_fields = {
        "Q4_0": [0], "Q5_0": [0], "Q8_0": [0],
        "Q4_1": [0, 2], "Q5_1": [0, 2],
        "Q4_K": [0, 2], "Q5_K": [0, 2],
        "Q6_K": [208],
    }[name]
    for off in f16_fields:
        raw[:, off:off + 2] = finite_f16_bits(rng, n_blocks).view(np.uint8).reshape(n_blocks, 2)
    if name == "Q6_K":  # int8 scales at 192..207: include both extremes
        raw[0, 192] = 0x80
        raw[0, 193] = 0x7F
    return raw


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "tests/data/gguf")
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)

    w = gguf.GGUFWriter(str(out / "dequant.gguf"), arch="test")
    w.add_custom_alignment(64)
    for key, value, vtype, sub in METADATA:
        w.add_key_value(key, value, vtype, sub_type=sub)
    for name in TYPES:
        qtype = T[name]
        block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
        # 3 rows; plain types 40 elements per row, legacy 8 blocks, k-quants 2 per row.
        blocks_per_row = 40 if block_size == 1 else (8 if block_size == 32 else 2)
        rows = 3
        raw = random_blocks(rng, qtype, rows * blocks_per_row).reshape(rows, blocks_per_row * type_size)
        expected = gguf.quants.dequantize(raw, qtype).astype(np.float32).reshape(rows, blocks_per_row * block_size)
        assert np.all(np.isfinite(expected)), name
        w.add_tensor(name, raw, raw_dtype=qtype)
        w.add_tensor(name + ".expected", expected, raw_dtype=T.F32)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    types = {t.name: {"id": int(t.value), "block_size": gguf.GGML_QUANT_SIZES[t][0],
                      "type_size": gguf.GGML_QUANT_SIZES[t][1]} for t in T}
    (out / "types.json").write_text(json.dumps(types, indent=1) + "\n")
    print(f"wrote {out}/dequant.gguf ({(out / 'dequant.gguf').stat().st_size} bytes) and types.json "
          f"with gguf {getattr(gguf, '__version__', '0.19.0')}")


if __name__ == "__main__":
    main()
