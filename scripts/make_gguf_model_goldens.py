#!/usr/bin/env python3
"""Goldens for the real GGUF model test (tests/model/test_gguf_model.cpp):
SmolLM2-135M-Instruct Q4_1 (scripts/fetch_smollm2.sh) loaded by HF transformers in fp32
(which dequantizes the GGUF and undoes llama.cpp's q/k permutation itself) and tokenized
by the tokenizer transformers converts from the same GGUF metadata.

Writes
  tests/data/gguf/smollm2_golden.json
    tokenizer: per text, the ids transformers' converted tokenizer gives;
    greedy:    a plain prompt and a chat prompt (rendered and tokenized by transformers'
               apply_chat_template from the GGUF's tokenizer.chat_template): the prompt ids
               and 64 greedy ids (argmax at every step, not stopped at EOS), with the
               smallest top-1/top-2 logit gap met on the way;
    logits:    three prompts of about 100 tokens: per position the top-10 ids and values,
               the row's max |logit| (the bound's scale); the last position's full row is
               in the .f32 file below;
    chat:      three turns for tests/cli/test_chat_cli.cpp: each turn's prompt ids as
               apply_chat_template(tokenize=True, add_generation_prompt=True) gives them
               for the messages so far, the assistant replies being transformers' greedy
               replies (at most CHAT_REPLY_TOKENS tokens, ended by <|im_end|>).
  tests/data/gguf/smollm2_logit_rows.f32
    the full last-position logit rows of the three logits prompts, float32 little-endian,
    row-major [3, vocab].

BOS: transformers' GGUF tokenizer conversion prepends BOS although the file says
tokenizer.ggml.add_bos_token = false; llama.cpp and llmrun obey the flag, so the ids fed
to the model here are transformers' ids with that BOS removed (the script checks it is
there). apply_chat_template adds no BOS (the template writes everything itself).

Pinned: transformers 4.57.6, torch 2.9.1 (scripts/requirements-goldens.txt) plus gguf
0.19.0 (scripts/requirements-gguf-goldens.txt). Two venvs combined, e.g.
  PYTHONPATH=/work/venv-gguf/lib/python3.11/site-packages /work/venv-goldens/bin/python \\
    scripts/make_gguf_model_goldens.py ~/.cache/llmrun/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

TOKENIZER_TEXTS = [
    "The capital of France is",
    "Hello, world! 12345 café — naïve 日本語 🙂\n\n  spaces",
]
GREEDY_TOKENS = 64
PLAIN_PROMPT = "Once upon a time, in a small village by the sea, there lived"
CHAT_MESSAGES = [{"role": "user", "content": "Explain why the sky is blue to a ten year old."}]
LOGIT_PROMPTS = [
    # prose
    "Photosynthesis is the process by which green plants, algae and some bacteria turn light "
    "into chemical energy. In the chloroplasts, chlorophyll absorbs mostly red and blue light, "
    "which is why leaves look green to us. The energy splits water molecules, releasing oxygen, "
    "and is stored in the bonds of sugars built from carbon dioxide taken from the air. Almost "
    "every food chain on Earth starts with this reaction, and",
    # code
    "def merge_sorted(a, b):\n    \"\"\"Merge two sorted lists into one sorted list.\"\"\"\n"
    "    i, j, out = 0, 0, []\n    while i < len(a) and j < len(b):\n        if a[i] <= b[j]:\n"
    "            out.append(a[i])\n            i += 1\n        else:\n            out.append(b[j])\n"
    "            j += 1\n    out.extend(a[i:])\n    out.extend(b[j:])\n    return out\n\n\n"
    "def test_merge_sorted():\n    assert merge_sorted([1, 4, 9], [2, 3, 10]) ==",
    # numbers, punctuation, other languages
    "Train 4721 leaves Zürich HB at 07:42 and reaches München at 11:58 (4 h 16 min); "
    "the fare is €89.90, or €44.95 with a BahnCard 50. Le train suivant part à 09h15. "
    "Der Zug hält in St. Gallen, Bregenz und Lindau-Reutin. 東京行きの新幹線は毎時3本です。 "
    "Total for 3 adults: 3 × €89.90 = €269.70, so the answer is",
]
TOP_K = 10
CHAT_TURNS = [
    "Hi! What is your name?",
    "Can you give me one tip for sleeping better?",
    "Thanks. Summarize that tip in five words.",
]
CHAT_REPLY_TOKENS = 40


def strip_bos(tok, ids):
    assert ids[0] == tok.bos_token_id, "transformers no longer prepends BOS: revisit the BOS note"
    return ids[1:]


def greedy(model, ids, steps, stop_id=None):
    """Argmax at every step through the KV cache; the smallest top-1/top-2 gap seen."""
    out, margin, past = [], float("inf"), None
    inp = torch.tensor([ids])
    with torch.no_grad():
        for _ in range(steps):
            r = model(inp, past_key_values=past, use_cache=True)
            past = r.past_key_values
            row = r.logits[0, -1]
            top2 = torch.topk(row, 2).values
            margin = min(margin, float(top2[0] - top2[1]))
            nxt = int(row.argmax())
            if nxt == stop_id:
                break
            out.append(nxt)
            inp = torch.tensor([[nxt]])
    return out, margin


def main():
    gguf_path = Path(sys.argv[1])
    data = Path(__file__).resolve().parent.parent / "tests/data/gguf"
    tok = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, torch_dtype=torch.float32)
    model.eval()

    tokenizer_cases = [{"text": t, "ids": strip_bos(tok, tok(t)["input_ids"])} for t in TOKENIZER_TEXTS]

    greedy_cases = []
    plain_ids = strip_bos(tok, tok(PLAIN_PROMPT)["input_ids"])
    chat_ids = tok.apply_chat_template(CHAT_MESSAGES, tokenize=True, add_generation_prompt=True)
    for name, extra, ids in [("plain", {"prompt": PLAIN_PROMPT}, plain_ids), ("chat", {"messages": CHAT_MESSAGES}, chat_ids)]:
        gen, margin = greedy(model, ids, GREEDY_TOKENS)
        print(f"greedy {name}: {len(ids)} prompt ids, smallest top-1/top-2 gap {margin:.4g}: {tok.decode(gen)!r}")
        greedy_cases.append({"name": name, **extra, "ids": ids, "greedy": gen, "min_gap": round(margin, 6)})

    logit_cases, rows = [], []
    for text in LOGIT_PROMPTS:
        ids = strip_bos(tok, tok(text)["input_ids"])
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0].float()  # [n, vocab]
        top = torch.topk(logits, TOP_K, dim=-1)
        logit_cases.append({
            "text": text, "ids": ids, "top_k": TOP_K,
            "top_ids": top.indices.tolist(),
            "top_values": [[round(float(v), 6) for v in r] for r in top.values],
            "max_abs": [round(float(v), 6) for v in logits.abs().max(dim=-1).values],
        })
        rows.append(logits[-1].numpy().astype("<f4"))
        print(f"logits: {len(ids)} ids, last row max|ref| {float(logits[-1].abs().max()):.4g}")

    # Three chat turns: the reference for what `llmrun` renders and tokenizes each turn.
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    messages, turns = [], []
    for user in CHAT_TURNS:
        messages.append({"role": "user", "content": user})
        ids = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
        reply_ids, margin = greedy(model, ids, CHAT_REPLY_TOKENS, stop_id=im_end)
        reply = tok.decode(reply_ids)
        print(f"chat turn: {len(ids)} prompt ids, gap {margin:.4g}, reply {reply!r}")
        turns.append({"user": user, "prompt_ids": ids, "reply_ids": reply_ids, "reply": reply,
                      "min_gap": round(margin, 6)})
        messages.append({"role": "assistant", "content": reply})

    (data / "smollm2_logit_rows.f32").write_bytes(np.stack(rows).tobytes())
    golden = {
        "model": gguf_path.name,
        "transformers": transformers.__version__, "torch": torch.__version__,
        "vocab": int(rows[0].shape[0]),
        "tokenizer": tokenizer_cases,
        "greedy": greedy_cases,
        "logits": logit_cases,
        "chat": {"max_reply_tokens": CHAT_REPLY_TOKENS, "turns": turns},
    }
    (data / "smollm2_golden.json").write_text(json.dumps(golden, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {data}/smollm2_golden.json, smollm2_logit_rows.f32")


if __name__ == "__main__":
    main()
