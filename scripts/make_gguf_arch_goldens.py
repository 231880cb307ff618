#!/usr/bin/env python3
"""Writes tests/data/gguf/<name>.gguf for the random tiny checkpoints llama-tiny, qwen2-tiny
and qwen3-tiny (tests/data/models/<name>, saved by transformers 4.57.6): the same bf16
weights laid out as llama.cpp's convert_hf_to_gguf.py (at 7d56da7e546f) lays them out, so
the transformers goldens beside each checkpoint are the reference for llmrun reading the
GGUF (tests/model/test_golden_models.cpp).

What follows llama.cpp's converter, with gguf-py (pinned in requirements-gguf-goldens.txt)
supplying names and keys, not llmrun's own tables:
  - tensor names from gguf.get_tensor_name_map(arch, n_layers); no output.weight when the
    embedding is tied;
  - llama only: q_proj/k_proj rows permuted per head (LlamaModel.permute: each head's two
    rotary halves interleaved), k with the kv head count;
  - llama with rope_type llama3: a rope_freqs.weight F32 tensor of per-frequency divisors
    (LlamaModel.generate_extra_tensors: 1 above the high-frequency band, `factor` below the
    low one, 1 / ((1 - smooth) / factor + smooth) between), and no rope scaling keys;
  - keys: context_length, embedding_length, feed_forward_length, block_count,
    attention.head_count(_kv), attention.key_length/value_length (= head_dim),
    rope.dimension_count (llama), rope.freq_base, attention.layer_norm_rms_epsilon,
    vocab_size;
  - matrices and the embedding stay BF16 (exact); norms F32, as the converter writes 1-D
    tensors.
No tokenizer metadata: the tests load weights and config only.

Usage: /work/venv-gguf/bin/python scripts/make_gguf_arch_goldens.py [models_dir] [out_dir]
"""
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import gguf

ARCHS = {"llama": gguf.MODEL_ARCH.LLAMA, "qwen2": gguf.MODEL_ARCH.QWEN2, "qwen3": gguf.MODEL_ARCH.QWEN3}
NAMES = ["llama-tiny", "qwen2-tiny", "qwen3-tiny"]


def read_safetensors(path):
    """name -> (dtype string, shape, raw bytes)."""
    data = Path(path).read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        out[name] = (t["dtype"], t["shape"], body[b:e])
    return out


def bf16_array(raw, shape):
    return np.frombuffer(raw, dtype=np.uint16).reshape(shape)


def bf16_to_f32(a):
    return (a.astype(np.uint32) << 16).view(np.float32)


def permute(rows, n_head):
    """llama.cpp LlamaModel.permute: per head, rows [a0..a(h/2-1), b0..] -> [a0, b0, a1, b1, ...]."""
    return rows.reshape(n_head, 2, rows.shape[0] // n_head // 2, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)


def llama3_rope_freqs(cfg, head_dim):
    s = cfg["rope_scaling"]
    base = cfg["rope_theta"]
    factor, low, high = s.get("factor", 8.0), s.get("low_freq_factor", 1.0), s.get("high_freq_factor", 4.0)
    old_ctx = s.get("original_max_position_embeddings", 8192)
    low_wavelen, high_wavelen = old_ctx / low, old_ctx / high
    freqs = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.float32) / head_dim))
    factors = []
    for f in freqs:
        wavelen = 2 * math.pi / f
        if wavelen < high_wavelen:
            factors.append(1)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (old_ctx / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(factors, dtype=np.float32)


def convert(src, dst):
    cfg = json.loads((src / "config.json").read_text())
    model_type = cfg["model_type"]
    arch = ARCHS[model_type]
    n_layers, n_head = cfg["num_hidden_layers"], cfg["num_attention_heads"]
    n_kv = cfg.get("num_key_value_heads", n_head)
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // n_head
    tensors = read_safetensors(src / "model.safetensors")
    name_map = gguf.get_tensor_name_map(arch, n_layers)

    w = gguf.GGUFWriter(str(dst), gguf.MODEL_ARCH_NAMES[arch])
    w.add_name(src.name)
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_block_count(n_layers)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    if model_type == "llama":
        w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(cfg["rope_theta"])
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_vocab_size(cfg["vocab_size"])
    w.add_file_type(gguf.LlamaFileType.MOSTLY_BF16)

    scaling = cfg.get("rope_scaling") or {}
    if scaling.get("rope_type") == "llama3":
        w.add_tensor(gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.ROPE_FREQS] + ".weight", llama3_rope_freqs(cfg, head_dim))
    elif scaling:
        raise SystemExit(f"{src}: rope_scaling {scaling} not handled by this script")

    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        if dtype != "BF16":
            raise SystemExit(f"{src}: {name} is {dtype}, expected BF16")
        gname = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
        if gname is None:
            raise SystemExit(f"{src}: no GGUF name for {name}")
        a = bf16_array(raw, shape)
        if model_type == "llama" and name.endswith("self_attn.q_proj.weight"):
            a = permute(a, n_head)
        elif model_type == "llama" and name.endswith("self_attn.k_proj.weight"):
            a = permute(a, n_kv)
        if len(shape) == 1:
            w.add_tensor(gname, bf16_to_f32(a))
        else:
            # Raw bytes: gguf-py derives the element shape from the byte shape and the type.
            w.add_tensor(gname, np.ascontiguousarray(a).view(np.uint8), raw_dtype=gguf.GGMLQuantizationType.BF16)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {dst} ({dst.stat().st_size} bytes)")


def main():
    models = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "tests/data/models"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else models.parent / "gguf"
    for name in NAMES:
        convert(models / name, out / f"{name}.gguf")


if __name__ == "__main__":
    main()
