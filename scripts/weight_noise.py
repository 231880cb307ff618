#!/usr/bin/env python3
"""Weight-noise ratio sum ||W - Q(W)||^2 / sum ||W||^2 over a checkpoint's 2-D weights for
candidate formats, llmrun's and ones it does not implement (MXFP6: E2M3 elements with an
E8M0 power-of-two scale per 32, OCP MX v1.0). A proxy for choosing formats before writing
a codec: elements round to nearest even through ml_dtypes' casts, independent of llmrun.

  python3 scripts/weight_noise.py MODEL.safetensors|MODEL.gguf
Needs numpy, ml_dtypes (>= 0.5: float6 and E8M0 types), safetensors, gguf (for GGUF
input: tensors dequantized with gguf-py).
"""
import sys

import ml_dtypes as md
import numpy as np
from safetensors.numpy import load_file
from safetensors.numpy import load_file

def cast(x, dt):
    return x.astype(dt).astype(np.float32)

def per_row(W, dt, maxv):
    s = np.abs(W).max(axis=1, keepdims=True) / maxv
    s[s == 0] = 1
    return cast(np.clip(W / s, -maxv, maxv), dt) * s

def grouped(W, dt, maxv, g, scale, return_scale=False):
    r, c = W.shape
    pad = (-c) % g
    Wp = np.pad(W, ((0, 0), (0, pad))).reshape(r, -1, g)
    amax = np.abs(Wp).max(axis=2, keepdims=True)
    if scale == "f16":  # smallest fp16 >= amax/max (llmrun's grouped_codec.h, approximately)
        want = amax / maxv
        s = want.astype(np.float16).astype(np.float32)
        up = s < want
        s = np.where(up, np.nextafter(s.astype(np.float16), np.float16(np.inf)).astype(np.float32), s)
        s = np.maximum(s, 2.0 ** -24)
    elif scale == "f32":  # amax / max in fp32: no rounding of the scale at all
        s = (amax / np.float32(maxv)).astype(np.float32)
    else:  # OCP MX: E8M0 scale 2^(floor(log2 amax) - emax_elem), elements saturate
        emax = {6: 2, 8: 8}[scale]
        e = np.floor(np.log2(np.where(amax > 0, amax, 1.0))) - emax
        s = (2.0 ** e).astype(np.float32)
    s[amax == 0] = 1
    if return_scale:
        return s
    q = cast(np.clip(Wp / s, -maxv, maxv), dt) * s
    return q.reshape(r, -1)[:, :c]

SEARCH_FACTORS = (1.0, 1.05, 1.1)  # grouped_codec.h's kScaleSearchFactors


def round_int8(x):
    return np.clip(np.round(x), -127, 127)


def searched(W, dt, maxv, g, factors=SEARCH_FACTORS):
    """llmrun's group-scale search (grouped_codec.h, vectorized; ties aside): per group, the
    fp16 scale with the least squared error among round_f16(rule scale * f) and, after each,
    the least-squares scale of the codes it gave (elements saturate); dt None = int8."""
    r, c = W.shape
    pad = (-c) % g
    Wp = np.pad(W, ((0, 0), (0, pad))).reshape(r, -1, g)
    base = grouped(W, dt if dt is not None else md.float6_e2m3fn, maxv, g, "f16", return_scale=True)

    def f16(s):
        return np.clip(s.astype(np.float16).astype(np.float32), np.float32(2.0 ** -24), np.float32(65504))

    best, best_err = None, None
    for f in factors:
        s = f16(base * np.float32(f))
        for refit in (False, True):
            x = np.clip(Wp / s, -maxv, maxv)
            v = round_int8(x) if dt is None else cast(x, dt)
            q = v * s
            err = ((Wp - q).astype(np.float64) ** 2).sum(axis=2, keepdims=True)
            if best is None:
                best, best_err = q, err
            else:
                better = err < best_err
                best = np.where(better, q, best)
                best_err = np.where(better, err, best_err)
            if not refit:
                num = (Wp.astype(np.float64) * v).sum(axis=2, keepdims=True)
                den = (v.astype(np.float64) ** 2).sum(axis=2, keepdims=True)
                s = np.where((den > 0) & (num > 0), f16((num / np.where(den > 0, den, 1)).astype(np.float32)), s)
    return best.reshape(r, -1)[:, :c]


def int8_per_row(W):
    amax = np.abs(W).max(axis=1, keepdims=True)
    s = np.where(amax > 0, amax / 127, 1.0)
    return np.clip(np.round(W / s), -127, 127) * s


def grouped_int8(W, g):
    r, c = W.shape
    pad = (-c) % g
    Wp = np.pad(W, ((0, 0), (0, pad))).reshape(r, -1, g)
    s = grouped(W, md.float6_e2m3fn, 127.0, g, "f16", return_scale=True)
    return (round_int8(Wp / s) * s).reshape(r, -1)[:, :c]


def weights(path):
    if path.endswith(".gguf"):
        import gguf
        r = gguf.GGUFReader(path)
        for t in r.tensors:
            if len(t.shape) == 2:
                yield t.name, gguf.quants.dequantize(t.data, t.tensor_type).reshape(int(t.shape[1]), int(t.shape[0])).astype(np.float32)
    else:
        for k, v in load_file(path).items():
            if v.ndim == 2:
                yield k, v.astype(np.float32)

fmts = {
    "fp6 E3M2 per row (6.0 b)": lambda W: per_row(W, md.float6_e3m2fn, 28.0),
    "fp6 E2M3 per row (6.0 b)": lambda W: per_row(W, md.float6_e2m3fn, 7.5),
    "MXFP6 E2M3, E8M0 /32 (6.25 b)": lambda W: grouped(W, md.float6_e2m3fn, 7.5, 32, 6),
    "fp6-e2m3-g32, fp16 /32 (6.5 b)": lambda W: grouped(W, md.float6_e2m3fn, 7.5, 32, "f16"),
    "fp6-e2m3-g64, fp16 /64 (6.25 b)": lambda W: grouped(W, md.float6_e2m3fn, 7.5, 64, "f16"),
    "fp6-e2m3-g32, fp16 /32, searched (6.5 b)": lambda W: searched(W, md.float6_e2m3fn, 7.5, 32),
    "fp6-e2m3-g64, fp16 /64, searched (6.25 b)": lambda W: searched(W, md.float6_e2m3fn, 7.5, 64),
    "fp6-e2m3-g128, fp16 /128, searched (6.125 b)": lambda W: searched(W, md.float6_e2m3fn, 7.5, 128),
    "fp6-e2m3, fp32 /32 (7.0 b)": lambda W: grouped(W, md.float6_e2m3fn, 7.5, 32, "f32"),
    "fp8-g32 (8.5 b)": lambda W: grouped(W, md.float8_e4m3fn, 448.0, 32, "f16"),
    "fp8-g32, searched (8.5 b)": lambda W: searched(W, md.float8_e4m3fn, 448.0, 32),
    "int8 per row (8.0 b)": lambda W: int8_per_row(W),
    "int8-g32 (8.5 b)": lambda W: grouped_int8(W, 32),
    "int8-g32, searched (8.5 b)": lambda W: searched(W, None, 127.0, 32),
}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    num = {k: 0.0 for k in fmts}
    den = 0.0
    for _, W in weights(sys.argv[1]):
        den += float((W.astype(np.float64) ** 2).sum())
        for k, f in fmts.items():
            num[k] += float(((W - f(W)).astype(np.float64) ** 2).sum())
    for k in fmts:
        print(f"{k:42s} {num[k] / den:.3e}")


if __name__ == "__main__":
    main()
