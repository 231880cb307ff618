#!/usr/bin/env python3
"""GGUF SentencePiece tokenizers (tokenizer.ggml.model = "llama") for
tests/tokenizer/test_gguf_sentencepiece.cpp.

For a SentencePiece fixture (default: ../shared/fixtures/models/stories260k/tokenizer.model,
512 pieces, byte fallback, remove_extra_whitespaces on) writes, into tests/data/gguf/:
  <name>_spm_vocab.gguf    a GGUF holding only the tokenizer metadata, as llama.cpp's
        convert_hf_to_gguf.py writes it (_set_vocab_sentencepiece): tokens, scores, token
        types (SentencePiece piece types), bos/eos/unk ids, add_bos_token, and
        add_space_prefix / remove_extra_whitespaces from the model's normalizer_spec;
        written by gguf-py's GGUFWriter. tests/tokenizer/test_tokenizer_goldens runs the
        whole tokenizer corpus through it against goldens_<name>_sp.json (the sentencepiece
        library on the original tokenizer.model).
  <name>_spm_keep_ws.gguf  the same with remove_extra_whitespaces = false (Llama 2's
        setting), because transformers' GGUF conversion ignores that flag and never
        collapses whitespace;
  <name>_spm_hf.json       ids that HF `tokenizers` gives for tricky strings, through the
        tokenizer transformers converts from <name>_spm_keep_ws.gguf
        (AutoTokenizer.from_pretrained(dir, gguf_file=...)), with and without special
        tokens. No string holds a control piece's text ("<s>"): HF's conversion makes them
        added tokens matched inside text, SentencePiece (and llmrun, for .model files and
        GGUF alike) keeps them as text (the corpus goldens cover that).

The .model file is read with a few lines of protobuf parsing (field numbers from
sentencepiece_model.proto), so only the pinned goldens venvs are needed:
  PYTHONPATH=/work/venv-gguf/lib/python3.11/site-packages /work/venv-goldens/bin/python \\
    scripts/make_gguf_tokenizer_goldens.py
Pinned: gguf 0.19.0 (requirements-gguf-goldens.txt), transformers 4.57.6 and tokenizers
0.22.2 (requirements-goldens.txt).
"""
import argparse
import json
import tempfile
from pathlib import Path

import gguf
import tokenizers
import transformers
from transformers import AutoTokenizer

from protobuf_wire import fields

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    "", " ", "  ", "\n", "Hello world", " Hello world", "Hello  world  ", "   leading spaces",
    "trailing spaces   ", "a\tb\nc\r\nd", "multiple\n\n\nnewlines", "1234567890 3.14159 -0.5e10",
    "I'm sure you're right, DON'T do it.", "café naïve résumé Zürich", "日本語のテキスト 我爱北京",
    "emoji 🙂🇫🇷👨‍👩‍👧", "▁already▁marked", "x<0x41>y", "< s>",
    "Once upon a time, there was a little girl named Lily.", "ŝ ẞ ǅ Å Ω", "tab\tindented\t\tline",
]


def read_proto(data):
    """(field, wire, value) of one protobuf message."""
    for field, wire, value, _, _ in fields(data):
        yield field, wire, value


def read_model(path):
    tokens, scores, types = [], [], []
    add_dummy_prefix, remove_extra_whitespaces = True, True  # NormalizerSpec defaults
    for field, _, value in read_proto(Path(path).read_bytes()):
        if field == 1:  # SentencePiece: piece, score, type (default NORMAL = 1)
            piece = dict((f, v) for f, _, v in read_proto(value))
            tokens.append(piece[1].decode("utf-8"))
            scores.append(piece.get(2, 0.0))
            types.append(piece.get(3, 1))
        elif field == 3:  # NormalizerSpec
            for f, _, v in read_proto(value):
                if f == 3:
                    add_dummy_prefix = bool(v)
                if f == 4:
                    remove_extra_whitespaces = bool(v)
    return tokens, scores, types, add_dummy_prefix, remove_extra_whitespaces


def write_gguf(out, tokens, scores, types, add_prefix, remove_ws):
    w = gguf.GGUFWriter(str(out), "llama")
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(types.index(2))
    w.add_bos_token_id(tokens.index("<s>"))
    w.add_eos_token_id(tokens.index("</s>"))
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(add_prefix)
    w.add_remove_extra_whitespaces(remove_ws)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT.parent / "shared/fixtures/models/stories260k/tokenizer.model"))
    ap.add_argument("--name", default="stories260k")
    args = ap.parse_args()
    data = ROOT / "tests/data/gguf"
    tokens, scores, types, add_prefix, remove_ws = read_model(args.model)
    write_gguf(data / f"{args.name}_spm_vocab.gguf", tokens, scores, types, add_prefix, remove_ws)
    out = data / f"{args.name}_spm_keep_ws.gguf"
    write_gguf(out, tokens, scores, types, add_prefix, False)
    with tempfile.TemporaryDirectory() as tmp:  # transformers wants a folder
        (Path(tmp) / out.name).write_bytes(out.read_bytes())
        tok = AutoTokenizer.from_pretrained(tmp, gguf_file=out.name)
    cases = [{"text": t, "ids": tok(t, add_special_tokens=False)["input_ids"],
              "ids_special": tok(t)["input_ids"]} for t in TEXTS]
    golden = {"gguf": out.name, "source": args.model.split("fixtures/")[-1],
              "generator": f"transformers {transformers.__version__} (GGUF conversion), tokenizers {tokenizers.__version__}, "
                           f"gguf {gguf.__version__ if hasattr(gguf, '__version__') else '0.19.0'}",
              "tokenizer_class": type(tok).__name__, "cases": cases}
    (data / f"{args.name}_spm_hf.json").write_text(json.dumps(golden, ensure_ascii=False, indent=0) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes) and {args.name}_spm_hf.json; {len(tokens)} pieces, "
          f"add_space_prefix {add_prefix}, remove_extra_whitespaces {remove_ws}")


if __name__ == "__main__":
    main()
