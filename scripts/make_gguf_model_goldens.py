#!/usr/bin/env python3
"""Golden for the real GGUF model test: SmolLM2-135M-Instruct Q4_1 (scripts/fetch_smollm2.sh)
loaded by HF transformers (which dequantizes the GGUF and undoes llama.cpp's q/k
permutation itself) and tokenized by the tokenizer transformers converts from the same
GGUF metadata. Writes tests/data/gguf/smollm2_golden.json: per prompt the ids, the
greedy continuation and the last position's logits (fp32).

Pinned: transformers 4.57.6, torch 2.9.1 (scripts/requirements-goldens.txt) plus gguf
0.19.0 (scripts/requirements-gguf-goldens.txt).
Usage: python scripts/make_gguf_model_goldens.py path/to/SmolLM2-135M-Instruct.Q4_1.gguf
"""
import json
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPTS = [
    "The capital of France is",
    "Hello, world! 12345 café — naïve 日本語 🙂\n\n  spaces",
]
NEW_TOKENS = 16


def main():
    gguf_path = Path(sys.argv[1])
    out = Path(__file__).resolve().parent.parent / "tests/data/gguf/smollm2_golden.json"
    tok = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, torch_dtype=torch.float32)
    model.eval()
    cases = []
    for prompt in PROMPTS:
        ids = tok(prompt, add_special_tokens=True)["input_ids"]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1].float()
            gen = model.generate(torch.tensor([ids]), max_new_tokens=NEW_TOKENS, do_sample=False)[0, len(ids):]
        cases.append({"prompt": prompt, "ids": ids, "greedy": gen.tolist(),
                      "last_logits": [float(x) for x in logits.tolist()]})
    out.write_text(json.dumps({"model": gguf_path.name, "transformers": __import__("transformers").__version__,
                               "cases": cases}) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
