#!/usr/bin/env python3
"""LAMBADA (lambada_openai) scored as lm-evaluation-harness 0.4 scores it, with HF
transformers fp32 loading a GGUF, to check `llmeval lambada --precisions fp32` on the same
weights (docs/ACCURACY.md). The scoring rules, reimplemented from lm-eval (no lm-eval
install): context = text.rsplit(" ", 1)[0], continuation = " " + last word; HFLM's
_encode_pair (the context's trailing spaces move to the continuation; whole =
encode(context + continuation), continuation ids = whole[len(encode(context)):]); no
special tokens (HFLM's default for causal models); input = (context + continuation)[:-1];
acc = every continuation token is the argmax; ppl = exp(-mean log-likelihood).

  PYTHONPATH=/work/venv-gguf/lib/python3.11/site-packages /work/venv-goldens/bin/python \\
    scripts/check_lambada_transformers.py MODEL.gguf lambada_test.jsonl [LIMIT]
Pinned: transformers 4.57.6, torch 2.9.1, gguf 0.19.0.
"""
import json
import math
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    torch.set_num_threads(1)  # a shared machine; the result does not depend on it
    gguf, data = Path(sys.argv[1]), sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, torch_dtype=torch.float32).eval()
    lines = [json.loads(l)["text"] for l in open(data, encoding="utf-8") if l.strip()]
    if limit:
        lines = lines[:limit]
    correct, ll_sum = 0, 0.0
    for text in lines:
        context, word = text.rsplit(" ", 1)
        continuation = " " + word
        n_spaces = len(context) - len(context.rstrip(" "))
        if n_spaces:
            continuation = context[-n_spaces:] + continuation
            context = context[:-n_spaces]
        whole = tok(context + continuation, add_special_tokens=False)["input_ids"]
        ctx = tok(context, add_special_tokens=False)["input_ids"]
        cont = whole[len(ctx):]
        inp = (ctx + cont)[:-1]
        with torch.no_grad():
            logp = torch.log_softmax(model(torch.tensor([inp])).logits[0, -len(cont):].double(), dim=-1)
        ll_sum += float(sum(logp[k, t] for k, t in enumerate(cont)))
        correct += all(int(logp[k].argmax()) == t for k, t in enumerate(cont))
    n = len(lines)
    print(f"passages {n}: acc {100 * correct / n:.2f}% ({correct} correct), ppl {math.exp(-ll_sum / n):.4f}")


if __name__ == "__main__":
    main()
