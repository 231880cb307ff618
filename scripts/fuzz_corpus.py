#!/usr/bin/env python3
"""Seed corpora for the libFuzzer harnesses (fuzz/), built from the real fixtures
(../shared/fixtures) and the committed test data (tests/data, tests/tokenizer/data,
tests/chat/data). Nothing is copied into the repository: the corpora go to OUT/<harness>/.

Big files are shrunk so a seed runs in microseconds while keeping its structure:
safetensors files keep every tensor name, dtype and metadata with each dimension capped
at 4; tokenizer.json files keep the first 400 vocabulary entries, the merges among them
and their added tokens (renumbered densely), with every other section unchanged;
tokenizer.model files keep their first 400 pieces; GGUF files over 64 KiB keep every
metadata entry and tensor name with each dimension capped at 4 (the harness writes its input
to disk and re-parses it on every execution, so a 1.3 MB seed ran 10x slower).

  python3 scripts/fuzz_corpus.py --fixtures ../shared/fixtures --out build-fuzz/corpus
"""
import argparse
import glob
import json
import os
import struct

from protobuf_wire import fields

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
               "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


def safetensors_bytes(header, data):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def shrink_safetensors(path, cap=4):
    """The file with every dimension capped at `cap`, data taken from the original."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out_header, data = {}, b""
    for name, entry in header.items():
        if name == "__metadata__":
            out_header[name] = entry
            continue
        shape = [min(d, cap) for d in entry["shape"]]
        count = 1
        for d in shape:
            count *= d
        nbytes = count * DTYPE_BYTES[entry["dtype"]]
        begin = entry["data_offsets"][0]
        chunk = raw[base + begin: base + begin + nbytes]
        out_header[name] = {"dtype": entry["dtype"], "shape": shape,
                            "data_offsets": [len(data), len(data) + nbytes]}
        data += chunk
    return safetensors_bytes(out_header, data)


def shrink_tokenizer_json(path, keep=400):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    model = doc.get("model", {})
    vocab = model.get("vocab", {})
    if isinstance(vocab, dict) and len(vocab) > keep:
        kept = {tok: i for tok, i in vocab.items() if i < keep}
        model["vocab"] = kept
        merges = []
        for m in model.get("merges", []):
            a, b = m.split(" ", 1) if isinstance(m, str) else m
            if a in kept and b in kept and a + b in kept:
                merges.append(m)
        model["merges"] = merges
        next_id = keep
        for added in doc.get("added_tokens", [])[:40]:
            added["id"] = next_id
            next_id += 1
        doc["added_tokens"] = doc.get("added_tokens", [])[:40]
        # Post-processors name ids of special tokens: point them at the renumbered ones.
        ids = {a["content"]: a["id"] for a in doc["added_tokens"]}
        post = doc.get("post_processor")
        procs = (post or {}).get("processors", [post] if post else [])
        for p in procs:
            for name, st in (p or {}).get("special_tokens", {}).items():
                if name in ids:
                    st["ids"] = [ids[name]]
                else:
                    st["ids"] = [0]
    return json.dumps(doc, ensure_ascii=False).encode()


def shrink_sentencepiece(path, keep=400):
    """The ModelProto with its first `keep` pieces (unk, control and byte pieces lead in
    every SentencePiece model) and without self_test_data (field 4), whose expected
    encodings would no longer hold and would fail every load."""
    with open(path, "rb") as f:
        raw = f.read()
    out, pieces = b"", 0
    for field, _, _, start, end in fields(raw):
        if field == 1:
            pieces += 1
            if pieces > keep:
                continue
        if field == 4:
            continue
        out += raw[start:end]
    return out


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_kv(key, vtype, value):
    """vtype: 'u32', 'f32', 'str', 'bool', ('arr', 'str'|'i32'|'f32', list)."""
    out = gguf_string(key)
    if vtype == "u32":
        return out + struct.pack("<II", 4, value)
    if vtype == "f32":
        return out + struct.pack("<If", 6, value)
    if vtype == "bool":
        return out + struct.pack("<IB", 7, value)
    if vtype == "str":
        return out + struct.pack("<I", 8) + gguf_string(value)
    elem, items = value
    codes = {"str": 8, "i32": 5, "f32": 6}
    out += struct.pack("<IIQ", 9, codes[elem], len(items))
    for v in items:
        out += gguf_string(v) if elem == "str" else struct.pack("<i" if elem == "i32" else "<f", v)
    return out


# GGUF element sizes of the (unblocked) tensor types the shrinker rewrites: F32, F16, BF16.
GGUF_ELEMENT_BYTES = {0: 4, 1: 2, 30: 2}
GGUF_SCALAR_BYTES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def gguf_skip_value(raw, pos, vtype):
    if vtype in GGUF_SCALAR_BYTES:
        return pos + GGUF_SCALAR_BYTES[vtype]
    if vtype == 8:
        (n,) = struct.unpack_from("<Q", raw, pos)
        return pos + 8 + n
    if vtype == 9:
        elem, count = struct.unpack_from("<IQ", raw, pos)
        pos += 12
        for _ in range(count):
            pos = gguf_skip_value(raw, pos, elem)
        return pos
    raise ValueError(f"GGUF value type {vtype}")


def shrink_gguf(raw, cap=4, big=64 << 10):
    """A GGUF (v2/v3) with its metadata verbatim and each tensor dimension capped at `cap`,
    data taken from the original; small files and blocked types are returned unchanged."""
    if len(raw) <= big:
        return raw
    _, n_tensors, n_kv = struct.unpack_from("<IQQ", raw, 4)
    pos, alignment = 24, 32
    for _ in range(n_kv):
        (n,) = struct.unpack_from("<Q", raw, pos)
        key = raw[pos + 8:pos + 8 + n].decode()
        (vtype,) = struct.unpack_from("<I", raw, pos + 8 + n)
        if key == "general.alignment":
            (alignment,) = struct.unpack_from("<I", raw, pos + 12 + n)
        pos = gguf_skip_value(raw, pos + 12 + n, vtype)
    meta_end, infos = pos, []
    for _ in range(n_tensors):
        (n,) = struct.unpack_from("<Q", raw, pos)
        name = raw[pos:pos + 8 + n]
        (n_dims,) = struct.unpack_from("<I", raw, pos + 8 + n)
        ne = list(struct.unpack_from(f"<{n_dims}Q", raw, pos + 12 + n))
        ttype, offset = struct.unpack_from("<IQ", raw, pos + 12 + n + 8 * n_dims)
        pos += 12 + n + 8 * n_dims + 12
        if ttype not in GGUF_ELEMENT_BYTES:
            return raw
        infos.append((name, ne, ttype, offset))
    data_start = pos + (-pos % alignment)
    out, data = raw[:meta_end], b""
    for name, ne, ttype, offset in infos:
        shape = [min(d, cap) for d in ne]
        count = 1
        for d in shape:
            count *= d
        data += b"\0" * (-len(data) % alignment)
        out += name + struct.pack("<I", len(shape)) + struct.pack(f"<{len(shape)}Q", *shape)
        out += struct.pack("<IQ", ttype, len(data))
        data += raw[data_start + offset:data_start + offset + count * GGUF_ELEMENT_BYTES[ttype]]
    out += b"\0" * (-len(out) % alignment)
    return out + data


def tiny_llama_gguf():
    """A GGUF (v3) with llama metadata, a gpt2 BPE tokenizer and two f32 tensors."""
    tokens = ["a", "b", "c", "ab", "abc", "Ġ", "Ġa", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    kvs = [
        ("general.architecture", "str", "llama"),
        ("llama.context_length", "u32", 64),
        ("llama.embedding_length", "u32", 8),
        ("llama.block_count", "u32", 1),
        ("llama.feed_forward_length", "u32", 16),
        ("llama.attention.head_count", "u32", 2),
        ("llama.attention.head_count_kv", "u32", 1),
        ("llama.rope.freq_base", "f32", 10000.0),
        ("llama.attention.layer_norm_rms_epsilon", "f32", 1e-5),
        ("llama.vocab_size", "u32", len(tokens)),
        ("tokenizer.ggml.model", "str", "gpt2"),
        ("tokenizer.ggml.pre", "str", "smollm"),
        ("tokenizer.ggml.tokens", "arr", ("str", tokens)),
        ("tokenizer.ggml.token_type", "arr", ("i32", [1] * 7 + [3, 3, 3])),
        ("tokenizer.ggml.merges", "arr", ("str", ["a b", "ab c", "Ġ a"])),
        ("tokenizer.ggml.bos_token_id", "u32", 7),
        ("tokenizer.ggml.eos_token_id", "u32", 9),
        ("tokenizer.chat_template", "str",
         "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}"
         "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"),
    ]
    tensors = [("token_embd.weight", [8, len(tokens)]), ("output_norm.weight", [8])]
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for key, vtype, value in kvs:
        out += gguf_kv(key, vtype, value)
    offset = 0
    for name, ne in tensors:
        out += gguf_string(name) + struct.pack("<I", len(ne)) + struct.pack(f"<{len(ne)}Q", *ne)
        out += struct.pack("<IQ", 0, offset)  # type 0 = F32
        n = 1
        for d in ne:
            n *= d
        offset += (n * 4 + 31) // 32 * 32
    out += b"\0" * (-len(out) % 32)
    return out + b"\0" * offset


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fixtures", default=os.path.join(REPO, "..", "shared", "fixtures"))
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    fx, td = args.fixtures, os.path.join(REPO, "tests")
    counts = {}

    def seed(harness, name, data):
        d = os.path.join(args.out, harness)
        os.makedirs(d, exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        counts[harness] = counts.get(harness, 0) + 1

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    def tag(path):
        return os.path.relpath(path, os.path.dirname(os.path.dirname(path))).replace("/", "_")

    # safetensors: every model and golden file, shrunk.
    st_files = sorted(glob.glob(f"{fx}/models/*/model.safetensors") +
                      glob.glob(f"{td}/data/models/*/*.safetensors"))
    for p in st_files:
        seed("safetensors", tag(p), shrink_safetensors(p))
    seed("safetensors", "empty_header", safetensors_bytes({}, b""))

    # sharded index: the shards the harness writes (two tensors in shard 2, one in 1).
    one, two = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
    seed("safetensors_index", "valid.json", json.dumps(
        {"metadata": {"total_size": 40}, "weight_map": {
            "model.embed_tokens.weight": one, "lm_head.weight": two, "model.norm.weight": two}}, indent=2))
    seed("safetensors_index", "wrong_shard.json", json.dumps(
        {"weight_map": {"model.embed_tokens.weight": two, "lm_head.weight": one}}))

    # GGUF: the dequantization golden (every tensor type) and a tiny llama model.
    for p in sorted(glob.glob(f"{td}/data/gguf/*.gguf")):
        seed("gguf", os.path.basename(p), shrink_gguf(read(p)))
    seed("gguf", "tiny_llama.gguf", tiny_llama_gguf())

    # tokenizer.json: the real ones (shrunk) and the synthetic test ones.
    for p in sorted(glob.glob(f"{fx}/tokenizers/*/tokenizer.json") +
                    glob.glob(f"{td}/tokenizer/data/*.tokenizer.json")):
        seed("tokenizer_json", tag(p), shrink_tokenizer_json(p))

    # tokenizer.model (SentencePiece).
    for p in sorted(glob.glob(f"{fx}/tokenizers/*/tokenizer.model") + glob.glob(f"{fx}/models/*/tokenizer.model")):
        seed("tokenizer_model", tag(p), shrink_sentencepiece(p))

    # config.json / generation_config.json.
    for p in sorted(glob.glob(f"{fx}/models/*/config.json") + glob.glob(f"{td}/data/models/*/config.json")):
        seed("config", tag(p), read(p))
    for p in sorted(glob.glob(f"{fx}/models/*/generation_config.json") +
                    glob.glob(f"{td}/data/models/*/generation_config.json")):
        seed("generation_config", tag(p), read(p))
    seed("generation_config", "lists.json",
         '{"bos_token_id": 5, "eos_token_id": [6, 7], "pad_token_id": 7, "do_sample": true, '
         '"temperature": 0.6, "top_k": 20, "top_p": 0.95, "min_p": 0.0, "repetition_penalty": 1.1}')

    # tokenizer_config.json: the real ones, and every template of the chat goldens.
    for p in sorted(glob.glob(f"{fx}/tokenizers/*/tokenizer_config.json") +
                    glob.glob(f"{fx}/models/*/tokenizer_config.json")):
        seed("tokenizer_config", tag(p), read(p))
    goldens = json.loads(read(f"{td}/chat/data/chat_goldens.json"))
    for name, t in goldens["templates"].items():
        if "template" in t:
            seed("tokenizer_config", name + ".json", json.dumps(
                {"bos_token": "<s>", "eos_token": "</s>", "chat_template": t["template"]}))
            seed("tokenizer_config", name + "_list.json", json.dumps(
                {"chat_template": [{"name": "default", "template": t["template"]},
                                   {"name": "tool_use", "template": "x"}]}))

    # quantized checkpoint metadata.
    meta = {"llmrun.format": "llmrun-quantized", "llmrun.format_version": "1", "llmrun.codec_version": "1",
            "llmrun.tensor_formats": json.dumps({"model.layers.0.mlp.up_proj.weight": "int8",
                                                 "model.layers.0.mlp.down_proj.weight": "fp8",
                                                 "model.layers.0.self_attn.q_proj.weight": "fp6",
                                                 "lm_head.weight": "f16", "model.norm.weight": "f32"})}
    seed("quantized_checkpoint", "metadata", safetensors_bytes(
        {"__metadata__": meta,
         "model.layers.0.mlp.up_proj.weight": {"dtype": "U8", "shape": [2, 4], "data_offsets": [0, 8]},
         "model.layers.0.mlp.up_proj.weight.scale": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}},
        bytes(range(16))))

    # importance matrices, as llmeval imatrix writes them.
    seed("importance_matrix", "imatrix", safetensors_bytes(
        {"__metadata__": {"llmrun.format": "llmrun-importance-matrix", "llmrun.calibration_tokens": "4096"},
         "model.layers.0.mlp.down_proj.weight": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]},
         "model.embed_tokens.weight": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}},
        struct.pack("<4f", 0.5, 2.0, 1e-6, 3.0)))

    # LAMBADA jsonl: the first passages of the real file.
    with open(f"{fx}/lambada/lambada_test.jsonl", encoding="utf-8") as f:
        lines = [next(f) for _ in range(8)]
    seed("lambada", "first8.jsonl", "".join(lines))
    seed("lambada", "first1.jsonl", lines[0])

    # precision plans, as llmeval sensitivity / auto: write them.
    seed("precision_plan", "plan.json", json.dumps(
        {"llmrun_plan_version": 1, "budget": "max-kl=0.01", "default": "int8",
         "tensors": {"model.layers.0.self_attn.q_proj.weight": "fp8", "lm_head.weight": "bf16"}}, indent=2))
    seed("precision_plan", "null_default.json", '{"default": null, "tensors": {}}')

    for harness in sorted(counts):
        print(f"{harness}: {counts[harness]} seeds")


if __name__ == "__main__":
    main()
