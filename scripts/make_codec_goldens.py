#!/usr/bin/env python3
"""Writes the ml_dtypes / numpy goldens for the int8, fp8 (E4M3FN) and fp6 (E3M2, E2M3) codecs.

The C++ tests in tests/quant/ compare kernels/quant/ against these files, so they are an
independent reference: ml_dtypes' float8_e4m3fn / float6_e3m2fn casts and numpy's float32
arithmetic, never our own code. Deterministic (fixed seed); rerun only to regenerate:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install -r scripts/requirements-codec-goldens.txt
    /tmp/venv/bin/python scripts/make_codec_goldens.py tests/quant/data

Files (text, one record per line, floats as their fp32 bit patterns in hex):
  <fmt>_decode.txt   "code value_bits" for every code (256 fp8, 64 fp6)
  <fmt>_encode.txt   "input_bits code" for the interesting inputs: every code value, every
                     midpoint between neighbouring codes and the fp32 neighbours of both,
                     the saturation boundary, zeros, fp32 subnormals, inf, NaN, and
                     log-uniform random values, each with both signs
  rows.txt           whole-row encodes (scale and packed bytes) for int8, fp8, fp6, fp6-e2m3
                     and the group-scaled int8-g32, fp8-g32, fp6-e2m3-g32 and their -g64
"""
import sys
from pathlib import Path

import ml_dtypes
import numpy as np

SEED = 20251125
FORMATS = {
    # name: (ml_dtypes type, number of codes, overflow midpoint = max + half its ulp)
    "fp8_e4m3fn": (ml_dtypes.float8_e4m3fn, 256, 464.0),
    "fp6_e3m2fn": (ml_dtypes.float6_e3m2fn, 64, 30.0),
    "fp6_e2m3fn": (ml_dtypes.float6_e2m3fn, 64, 7.75),
}
ROW_MAX = {"int8-row": 127.0, "fp8-row": 448.0, "fp6-e3m2": 28.0, "fp6-e2m3": 7.5}
# Group-scaled formats: element format and weights per fp16 scale (grouped_codec.h).
GROUPED = {"int8-g32": ("int8-row", 32), "fp8-g32": ("fp8-row", 32), "fp6-e2m3-g32": ("fp6-e2m3", 32),
           "int8-g64": ("int8-row", 64), "fp8-g64": ("fp8-row", 64), "fp6-e2m3-g64": ("fp6-e2m3", 64)}
ROW_DTYPE = {"fp6-e3m2": "fp6_e3m2fn", "fp6-e2m3": "fp6_e2m3fn"}


def bits(x):
    return int(np.asarray(x, dtype=np.float32).view(np.uint32))


def f32(b):
    return np.array([b], dtype=np.uint32).view(np.float32)[0]


def decode_table(dtype, ncodes):
    return np.arange(ncodes, dtype=np.uint8).view(dtype).astype(np.float32)


def encode(dtype, values):
    return np.asarray(values, dtype=np.float32).astype(dtype).view(np.uint8)


def interesting_inputs(table, overflow_mid, rng):
    mags = sorted({float(v) for v in np.abs(table) if np.isfinite(v)})
    points = set(mags)
    for a, b in zip(mags, mags[1:]):
        points.add((a + b) / 2)  # exact in fp32: the codes have 2-4 significant bits
    points.update([overflow_mid, 2 * overflow_mid, 1e10, float(np.finfo(np.float32).max)])
    vals = []
    for p in sorted(points):
        p32 = np.float32(p)
        vals += [p32, np.nextafter(p32, np.float32(np.inf)), np.nextafter(p32, np.float32(0))]
    vals += [f32(0x00000001), f32(0x007FFFFF), f32(0x00800000), np.float32(0.0)]
    exps = rng.uniform(np.log2(float(mags[1])) - 3, np.log2(mags[-1]) + 2, 2000)
    vals += list(np.exp2(exps).astype(np.float32))
    out = []
    for v in vals:
        out += [bits(v), bits(-np.float32(v))]
    out += [0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFFFFFFF]
    return sorted(set(out))


def codes_of(fmt, q):
    """Packed bytes of the already scaled values q (float32) in element format fmt."""
    if fmt == "int8-row":
        codes = np.clip(np.rint(q), -127, 127).astype(np.int8).view(np.uint8)
    elif fmt == "fp8-row":
        # ml_dtypes turns values past 464 into NaN; the codec saturates (as NVIDIA SATFINITE).
        codes = np.clip(q, -448, 448).astype(ml_dtypes.float8_e4m3fn).view(np.uint8)
    else:
        q = np.clip(q, -np.float32(ROW_MAX[fmt]), np.float32(ROW_MAX[fmt]))  # saturate, as the codec
        codes = q.astype(FORMATS[ROW_DTYPE[fmt]][0]).view(np.uint8)
        pad = (-len(codes)) % 4
        c = np.concatenate([codes, np.zeros(pad, np.uint8)]).astype(np.uint32).reshape(-1, 4)
        word = c[:, 0] | c[:, 1] << 6 | c[:, 2] << 12 | c[:, 3] << 18
        codes = np.stack([word & 0xFF, word >> 8 & 0xFF, word >> 16 & 0xFF], 1).reshape(-1)
    return [int(b) for b in codes]


def row_reference(fmt, w):
    """numpy/ml_dtypes reference of one encode_row: (scale, packed bytes)."""
    w = np.asarray(w, dtype=np.float32)
    if fmt in GROUPED:
        return np.float32(1), grouped_reference(*GROUPED[fmt], w)
    amax = np.max(np.abs(w)) if w.size else np.float32(0)
    scale = np.float32(1) if amax == 0 else np.float32(amax) / np.float32(ROW_MAX[fmt])
    return scale, codes_of(fmt, w / scale)  # fp32 division, as the spec's w / scale


def group_scale(amax, elem):
    """The smallest fp16 at or above fp32(amax / max) (2^-24 at least, 65504 at most; 1 for 0)."""
    if amax == 0:
        return np.float16(1)
    want = np.float32(amax) / np.float32(ROW_MAX[elem])
    if want >= np.float32(65504):
        return np.float16(65504)
    h = np.float16(want)  # numpy rounds to nearest even
    if np.float32(h) < want:
        h = np.nextafter(h, np.float16(np.inf))
    return max(h, np.float16(2.0**-24))


# grouped_codec.h's kScaleSearchFactors.
SEARCH_FACTORS = [np.float32(f) for f in (1.0, 1.05, 1.1)]


def element_values(elem, q):
    """Decoded codes (before the scale) of the fp32 quotients q, saturating as the codecs do."""
    q = np.clip(np.asarray(q, np.float32), -np.float32(ROW_MAX[elem]), np.float32(ROW_MAX[elem]))
    if elem == "int8-row":
        return np.rint(q).astype(np.float32)
    dtype = ml_dtypes.float8_e4m3fn if elem == "fp8-row" else FORMATS[ROW_DTYPE[elem]][0]
    return q.astype(dtype).astype(np.float32)


def clamped_f16(want):
    """grouped_codec.h's clamped_scale_f16: fp32 -> fp16 (nearest even) within [2^-24, 65504]."""
    if not want < np.float32(65504):
        return np.float16(65504)
    h = np.float16(np.float32(want))
    return np.float16(2.0**-24) if h == 0 else h


def search_scale(elem, part, s0):
    """grouped_codec.h's search_group_scale, step for step: each candidate s0 * f and its
    least-squares refit, the least squared error (in double, index order) winning by more
    than 2^-30 relative."""
    better = 1.0 - 2.0**-30
    best, best_err = s0, -1.0

    def consider(h):
        nonlocal best, best_err
        s = np.float32(h)
        v = element_values(elem, part / s)
        err = 0.0
        for wi, vi in zip(part, v):
            e = float(wi) - float(vi) * float(s)
            err += e * e
        if best_err < 0 or err < best_err * better:
            best, best_err = h, err
        return v

    for f in SEARCH_FACTORS:
        h = s0 if f == 1 else clamped_f16(np.float32(s0) * f)
        v = consider(h)
        num = den = 0.0
        for wi, vi in zip(part, v):
            num += float(wi) * float(vi)
            den += float(vi) * float(vi)
        if den > 0 and num > 0:
            refit = clamped_f16(np.float32(num / den))
            if refit != h:
                consider(refit)
    return best


def grouped_reference(elem, group, w):
    out = []
    for g0 in range(0, len(w), group):
        part = w[g0:g0 + group]
        s = search_scale(elem, part, group_scale(np.max(np.abs(part)), elem))
        q = np.zeros(group, np.float32)
        q[:len(part)] = part / np.float32(s)  # padding codes are 0
        out += [int(b) for b in np.array([s], np.float16).view(np.uint8)] + codes_of(elem, q)
    return out


def grouped_row_inputs(fmt, rng):
    group = GROUPED[fmt][1]
    rows = [np.zeros(group + 3, np.float32)]
    for n, sigma in [(1, 1.0), (group, 0.02), (group + 1, 300.0), (3 * group - 5, 1e-3), (4 * group, 1.0)]:
        rows.append((rng.standard_normal(n) * sigma).astype(np.float32))
    # Groups on both sides of fp16's subnormal and overflow limits, and one all-zero group.
    w = (rng.standard_normal(4 * group) * 0.5).astype(np.float32)
    w[:group] *= np.float32(1e-9)
    w[group:2 * group] = 0
    w[2 * group:3 * group] *= np.float32(1e7)
    rows.append(w)
    # Log-uniform magnitudes: every group's fp16 scale rounding, up and down.
    for _ in range(4):
        rows.append((np.exp2(rng.uniform(-30, 12, 2 * group)) * rng.choice([-1, 1], 2 * group)).astype(np.float32))
    return rows


def row_inputs(fmt, rng):
    if fmt in GROUPED:
        return grouped_row_inputs(fmt, rng)
    m = ROW_MAX[fmt]
    rows = [np.zeros(5, np.float32), np.zeros(1, np.float32)]
    # Scale exactly 1 (amax = max): the other entries sit exactly on ties between codes.
    if fmt == "int8-row":
        ties = [0.5, 1.5, 2.5, -0.5, -1.5, -126.5, 125.5, 3.4999998]
    else:
        table = decode_table(*FORMATS["fp8_e4m3fn" if fmt == "fp8-row" else ROW_DTYPE[fmt]][:2])
        mags = sorted({float(v) for v in np.abs(table) if np.isfinite(v)})
        ties = [(a + b) / 2 for a, b in zip(mags, mags[1:])]
        ties = [t * (-1) ** i for i, t in enumerate(ties)]
    rows.append(np.array([m] + ties, np.float32))
    rows.append(np.array([0.25, -m, 1.0], np.float32))  # the largest magnitude is negative
    for n, sigma in [(1, 1.0), (3, 0.02), (5, 300.0), (7, 1e-3), (13, 1.0), (33, 0.05)]:
        rows.append((rng.standard_normal(n) * sigma).astype(np.float32))
    # amax whose fp32 quotient amax / (amax / max) is not exactly max, from above and below.
    found = {"above": 0, "below": 0}
    while min(found.values()) < 3:
        amax = np.float32(np.exp2(rng.uniform(-20, 10)))
        top = amax / (amax / np.float32(m))
        side = "above" if top > m else "below" if top < m else None
        if side and found[side] < 3:
            found[side] += 1
            rows.append(np.array([amax * np.float32(0.3), -amax, amax * np.float32(0.7)], np.float32))
    return rows


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/quant/data")
    out.mkdir(parents=True, exist_ok=True)
    header = f"# generated by scripts/make_codec_goldens.py: ml_dtypes {ml_dtypes.__version__}, numpy {np.__version__}\n"
    rng = np.random.default_rng(SEED)
    for name, (dtype, ncodes, overflow_mid) in FORMATS.items():
        table = decode_table(dtype, ncodes)
        with open(out / f"{name}_decode.txt", "w") as f:
            f.write(header + "# code value_bits (ml_dtypes decode to float32)\n")
            for code, v in enumerate(table):
                f.write(f"{code:02x} {bits(v):08x}\n")
        inputs = interesting_inputs(table, overflow_mid, rng)
        codes = encode(dtype, [f32(b) for b in inputs])
        with open(out / f"{name}_encode.txt", "w") as f:
            f.write(header + "# input_bits code (ml_dtypes cast from float32)\n")
            for b, c in zip(inputs, codes):
                f.write(f"{b:08x} {int(c):02x}\n")
    with open(out / "rows.txt", "w") as f:
        f.write(header + "# row FORMAT N SCALE_BITS / w INPUT_BITS... / q PACKED_BYTES...\n")
        for fmt in list(ROW_MAX) + list(GROUPED):
            for w in row_inputs(fmt, rng):
                scale, packed = row_reference(fmt, w)
                f.write(f"row {fmt} {len(w)} {bits(scale):08x}\n")
                f.write("w " + " ".join(f"{bits(v):08x}" for v in w) + "\n")
                f.write("q " + " ".join(f"{b:02x}" for b in packed) + "\n")


if __name__ == "__main__":
    with np.errstate(over="ignore", invalid="ignore"):  # inf/NaN inputs are deliberate
        main()
