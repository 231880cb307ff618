#!/usr/bin/env python3
"""HF side of tests/tokenizer/bench_tokenizer.cpp: the same encodes with Hugging Face
`tokenizers` on one thread (RAYON_NUM_THREADS=1, TOKENIZERS_PARALLELISM=false).

    RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false \
      /path/to/venv/bin/python scripts/bench_tokenizer_hf.py [--fixtures ../shared/fixtures]
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from tokenizers import Tokenizer  # noqa: E402  (after the thread settings)


def best_of(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default=os.path.join(root, "..", "shared", "fixtures"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    path = os.path.join(args.fixtures, "tokenizers", "qwen3", "tokenizer.json")
    with open(os.path.join(args.fixtures, "wikitext2", "wiki.test.raw"), "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")
    mb = len(raw) / 1e6

    best, med = best_of(lambda: Tokenizer.from_file(path), 3)
    print(f"load qwen3 tokenizer.json: best {best * 1e3:.0f} ms, median {med * 1e3:.0f} ms")
    tok = Tokenizer.from_file(path)
    n = len(tok.encode(text, add_special_tokens=False).ids)
    best, med = best_of(lambda: tok.encode(text, add_special_tokens=False), args.runs)
    print(f"encode whole file: {n} tokens, best {mb / best:.2f} MB/s, median {mb / med:.2f} MB/s")
    lines = text.split("\n")
    best, med = best_of(lambda: [tok.encode(line, add_special_tokens=True) for line in lines],
                        args.runs)
    print(f"encode per line:   best {mb / best:.2f} MB/s, median {mb / med:.2f} MB/s")


if __name__ == "__main__":
    main()
