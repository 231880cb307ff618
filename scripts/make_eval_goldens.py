#!/usr/bin/env python3
"""Reference numbers for llmeval: LAMBADA (scored by lm-evaluation-harness) and
strided perplexity (HF perplexity guide) on the stories260k fixture model.

Writes tests/data/eval/lambada_stories260k_500.json and
tests/data/eval/perplexity_stories260k_wikitext.json. Everything loads from
local files under /work/shared/fixtures; the HF hub is never contacted.

Usage (venv from scripts/requirements-eval-goldens.txt):
  python scripts/make_eval_goldens.py [--fixtures DIR] [--out DIR] [--part lambada|ppl|all]
"""
import argparse
import copy
import hashlib
import json
import math
import os
import re
import sys
import time

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import sentencepiece as spm  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModelForCausalLM, LlamaTokenizer  # noqa: E402

LAMBADA_SHA256 = "4aa8d02cd17c719165fc8a7887fddd641f43fcafa4b1c806ca8abc31fabdb226"
LAMBADA_LIMIT = 500
N_PAIR_IDS = 5  # passages whose context/continuation token ids are recorded
PPL_MAX_TOKENS = 8192
PPL_MAX_LENGTH = 512  # model's max_position_embeddings
PPL_STRIDES = (256, 512)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_model(model_dir):
    # fp32 + eager attention: the plainest reference path, no SDPA kernel choices.
    model = AutoModelForCausalLM.from_pretrained(
        model_dir, torch_dtype=torch.float32, attn_implementation="eager")
    model.eval()
    return model


def tokenizer_check(model_dir, tok):
    """The slow LlamaTokenizer must agree with sentencepiece (+BOS)."""
    sp = spm.SentencePieceProcessor(model_file=os.path.join(model_dir, "tokenizer.model"))
    strings = ["Once upon a time", "Hello world", " leading space",
               "two  spaces\n\nand newlines", "The caf\u00e9 costs \u20ac5."]
    rows = []
    for s in strings:
        hf_ids = tok.encode(s)
        sp_ids = [sp.bos_id()] + sp.encode(s)
        rows.append({"text": s, "ids": hf_ids, "equal_to_sentencepiece": hf_ids == sp_ids})
        if hf_ids != sp_ids:
            sys.exit(f"tokenizer mismatch on {s!r}: hf {hf_ids} sp {sp_ids}")
    return sp, rows


# ---------------------------------------------------------------------------
# LAMBADA through lm-evaluation-harness
# ---------------------------------------------------------------------------

def lambada_task_config(jsonl_path):
    """lm-eval's lambada_openai.yaml with the hub dataset swapped for the local
    jsonl; every other field is copied from the installed task file."""
    return {
        "task": "lambada_openai_local",
        "tag": ["lambada"],
        "dataset_path": "json",
        "dataset_name": None,
        "dataset_kwargs": {"data_files": {"test": jsonl_path}},
        "output_type": "loglikelihood",
        "test_split": "test",
        "doc_to_text": "{{text.split(' ')[:-1]|join(' ')}}",
        "doc_to_target": "{{' '+text.split(' ')[-1]}}",
        "should_decontaminate": True,
        "doc_to_decontamination_query": "{{text}}",
        "metric_list": [
            {"metric": "perplexity", "aggregation": "perplexity", "higher_is_better": False},
            {"metric": "acc", "aggregation": "mean", "higher_is_better": True},
        ],
        "metadata": {"version": 1.0},
    }


def check_against_installed_task(cfg):
    """Fail loudly if the installed lambada_openai.yaml differs from our copy
    in anything but the dataset fields."""
    import yaml
    import lm_eval
    path = os.path.join(os.path.dirname(lm_eval.__file__), "tasks", "lambada", "lambada_openai.yaml")
    with open(path) as f:
        ref = yaml.safe_load(f)
    for key, val in ref.items():
        if key in ("task", "dataset_path", "dataset_name"):
            continue
        if cfg.get(key) != val:
            sys.exit(f"{path}: field {key} = {val!r} differs from our config {cfg.get(key)!r}")
    extra = set(cfg) - set(ref) - {"dataset_kwargs"}
    if extra:
        sys.exit(f"our lambada config has fields not in {path}: {sorted(extra)}")
    return path, ref


def fast_tokenizer_run(model_dir, cfg, batch_size, slow_lm):
    """What lm-eval gives with its default use_fast_tokenizer=True, for the record."""
    import lm_eval
    from lm_eval.api.registry import get_model
    lm = get_model("hf").create_from_arg_string(
        f"pretrained={model_dir},dtype=float32,attn_implementation=eager",
        {"batch_size": batch_size, "device": "cpu"})
    out = lm_eval.simple_evaluate(model=lm, tasks=[copy.deepcopy(cfg)], limit=LAMBADA_LIMIT, log_samples=True,
                                  batch_size=batch_size, device="cpu")
    differ = 0
    for s in out["samples"][cfg["task"]]:
        ctx = s["doc"]["text"][:-len(s["target"])]
        differ += lm._encode_pair(ctx, s["target"]) != slow_lm._encode_pair(ctx, s["target"])
    res = out["results"][cfg["task"]]
    return {"model_args": "pretrained=models/stories260k,dtype=float32,attn_implementation=eager",
            "tokenizer": type(lm.tokenizer).__name__,
            "acc": res["acc,none"], "perplexity": res["perplexity,none"],
            "passages_with_different_token_ids": differ}


def run_lambada(model_dir, jsonl_path, tok_rows, batch_size):
    import lm_eval
    from lm_eval.api.registry import get_model

    if sha256_of(jsonl_path) != LAMBADA_SHA256:
        sys.exit(f"{jsonl_path}: sha256 differs from {LAMBADA_SHA256}")
    cfg = lambada_task_config(jsonl_path)
    ref_path, ref_cfg = check_against_installed_task(cfg)

    model_args = (f"pretrained={model_dir},dtype=float32,use_fast_tokenizer=False,"
                  "attn_implementation=eager")
    # Built exactly as simple_evaluate(model="hf", model_args=...) builds it;
    # we keep the object so its _encode_pair can be queried afterwards.
    lm = get_model("hf").create_from_arg_string(
        model_args, {"batch_size": batch_size, "device": "cpu"})
    assert type(lm.tokenizer).__name__ == "LlamaTokenizer", type(lm.tokenizer)
    assert lm.model.config._attn_implementation == "eager"

    t0 = time.time()
    out = lm_eval.simple_evaluate(
        model=lm, tasks=[copy.deepcopy(cfg)], limit=LAMBADA_LIMIT, log_samples=True,
        batch_size=batch_size, device="cpu")
    seconds = time.time() - t0

    res = out["results"][cfg["task"]]
    samples = sorted(out["samples"][cfg["task"]], key=lambda s: s["doc_id"])
    assert [s["doc_id"] for s in samples] == list(range(LAMBADA_LIMIT))

    passages = []
    for s in samples:
        args = s["arguments"][0] if isinstance(s["arguments"], list) else s["arguments"]["gen_args_0"]
        if isinstance(args, dict):
            ctx, cont = args["arg_0"], args["arg_1"]
        else:
            ctx, cont = args
        resp = s["resps"][0][0]
        logprob, is_greedy = float(resp[0]), bool(resp[1])
        assert s["target"] == cont
        # Recoverable from the fixture alone: context = text minus " " + last word.
        assert ctx + cont == s["doc"]["text"], s["doc_id"]
        row = {"index": s["doc_id"], "logprob": logprob, "is_greedy": is_greedy,
               "continuation": cont}
        if s["doc_id"] < N_PAIR_IDS:
            c_ids, t_ids = lm._encode_pair(ctx, cont)
            row["context"] = ctx
            row["context_ids"] = c_ids
            row["continuation_ids"] = t_ids
        passages.append((row, ctx, cont, float(s["acc"]), float(s["perplexity"])))

    # Does lm-eval put BOS in front of the context? Ask its own tokenizer path.
    first_ctx_ids = passages[0][0]["context_ids"]
    bos = first_ctx_ids[0] == lm.tokenizer.bos_token_id
    assert all(p[0]["context_ids"][0] == lm.tokenizer.bos_token_id for p in passages[:N_PAIR_IDS]) == bos

    # Independent recomputation with plain transformers: BOS + ids, no lm-eval.
    model = load_model(model_dir)
    max_diff = 0.0
    greedy_mismatch = 0
    with torch.no_grad():
        for row, ctx, cont, _, _ in passages:
            whole = lm.tokenizer.encode(ctx + cont)
            c_len = len(lm.tokenizer.encode(ctx))
            ids = torch.tensor([whole[:-1]])
            logp = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
            tgt = whole[c_len:]
            rows_lp = logp[c_len - 1:]
            lp = float(rows_lp[torch.arange(len(tgt)), torch.tensor(tgt)].sum())
            greedy = bool((rows_lp.argmax(-1) == torch.tensor(tgt)).all())
            max_diff = max(max_diff, abs(lp - row["logprob"]))
            greedy_mismatch += greedy != row["is_greedy"]

    acc = sum(p[3] for p in passages) / len(passages)
    assert abs(acc - res["acc,none"]) < 1e-12
    n_ctx_tokens = [len(lm.tokenizer.encode(p[1])) for p in passages]
    n_cont_tokens = [len(lm._encode_pair(p[1], p[2])[1]) for p in passages]

    fast = fast_tokenizer_run(model_dir, cfg, batch_size, lm)

    return {
        "lm_eval_version": lm_eval.__version__ if hasattr(lm_eval, "__version__") else _dist_version("lm_eval"),
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "datasets": _dist_version("datasets"),
        "limit": LAMBADA_LIMIT,
        "bos": bool(bos),
        "acc": res["acc,none"],
        "acc_stderr": res["acc_stderr,none"],
        "perplexity": res["perplexity,none"],
        "perplexity_stderr_bootstrap": res.get("perplexity_stderr,none"),
        "sum_logprob": sum(p[0]["logprob"] for p in passages),
        "definitions": {
            "acc": "mean over passages of is_greedy (every continuation token is the argmax)",
            "perplexity": "exp(-mean over passages of logprob), logprob = summed natural-log "
                          "probability of the continuation tokens",
            "acc_stderr": "sqrt(var(is_greedy, ddof=1) / n)",
            "tokenization": "context_ids = tok(context) with BOS; continuation_ids = "
                            "tok(context + continuation)[len(context_ids):] (lm-eval _encode_pair); "
                            "the model sees (context_ids + continuation_ids)[:-1]; no passage "
                            "exceeds max_length + 1 = 513 tokens, so nothing is truncated",
        },
        "task_config": cfg | {"dataset_kwargs": {"data_files": {"test": "lambada/lambada_test.jsonl"}}},
        "reference_task_file": os.path.relpath(ref_path, os.path.dirname(os.path.dirname(ref_path))),
        "reference_task_config": ref_cfg,
        "model_args": model_args.replace(model_dir, "models/stories260k"),
        "batch_size": batch_size,
        "device": "cpu",
        "dataset": {"file": "lambada/lambada_test.jsonl", "sha256": LAMBADA_SHA256},
        "max_length": lm.max_length,
        "max_tokens_per_passage": max(c + t for c, t in zip(n_ctx_tokens, n_cont_tokens)),
        "n_multi_token_continuations": sum(t > 1 for t in n_cont_tokens),
        "tokenizer": type(lm.tokenizer).__name__,
        "tokenizer_check": tok_rows,
        "crosscheck_plain_transformers": {
            "max_abs_logprob_diff": max_diff,
            "is_greedy_mismatches": greedy_mismatch,
        },
        "not_used_fast_tokenizer_run": fast,
        "seconds": seconds,
        "passages": [p[0] for p in passages],
    }


# ---------------------------------------------------------------------------
# Perplexity, exactly as https://huggingface.co/docs/transformers/perplexity
# ---------------------------------------------------------------------------

def run_perplexity(model_dir, text_path, tok, sp):
    with open(text_path, encoding="utf-8") as f:
        text = f.read()
    encodings = tok(text, return_tensors="pt")
    all_ids = encodings.input_ids[0].tolist()
    sp_ids = [sp.bos_id()] + sp.encode(text)
    if all_ids != sp_ids:
        sys.exit(f"{text_path}: LlamaTokenizer and sentencepiece disagree")
    input_all = encodings.input_ids[:, :PPL_MAX_TOKENS]
    model = load_model(model_dir)

    settings = []
    for stride in PPL_STRIDES:
        t0 = time.time()
        max_length = PPL_MAX_LENGTH
        seq_len = input_all.size(1)
        nll_sum = 0.0
        n_tokens = 0
        exact_nll_sum = 0.0
        exact_n = 0
        windows = []
        prev_end_loc = 0
        for begin_loc in range(0, seq_len, stride):
            end_loc = min(begin_loc + max_length, seq_len)
            trg_len = end_loc - prev_end_loc
            input_ids = input_all[:, begin_loc:end_loc]
            target_ids = input_ids.clone()
            target_ids[:, :-trg_len] = -100
            with torch.no_grad():
                outputs = model(input_ids, labels=target_ids)
                neg_log_likelihood = outputs.loss
            num_valid_tokens = (target_ids != -100).sum().item()
            batch_size = target_ids.size(0)
            num_loss_tokens = num_valid_tokens - batch_size
            nll_sum += neg_log_likelihood * num_loss_tokens
            n_tokens += num_loss_tokens
            # Labels the loss really averaged over (the model drops label 0 in its
            # shift; that label is already -100 unless the window starts at 0).
            actual = (target_ids[:, 1:] != -100).sum().item()
            exact_nll_sum += float(neg_log_likelihood) * actual
            exact_n += actual
            windows.append({"begin": begin_loc, "end": end_loc, "trg_len": trg_len,
                            "mean_loss": float(neg_log_likelihood),
                            "loss_tokens": actual})
            prev_end_loc = end_loc
            if end_loc == seq_len:
                break
        avg_nll = nll_sum / n_tokens
        ppl = torch.exp(avg_nll)
        settings.append({
            "max_length": max_length, "stride": stride,
            "ppl": float(ppl), "nll_sum": float(nll_sum), "n_tokens": int(n_tokens),
            "exact": {"ppl": math.exp(exact_nll_sum / exact_n), "nll_sum": exact_nll_sum,
                      "n_tokens": exact_n},
            "seconds": time.time() - t0,
            "windows": windows,
        })

    return {
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "text": {"file": "wikitext2/wiki.test.raw", "sha256": sha256_of(text_path),
                 "bytes": os.path.getsize(text_path), "tokens_total": len(all_ids)},
        "tokenization": "LlamaTokenizer(slow)(whole file) = [BOS] + sentencepiece ids, then the "
                        f"first {PPL_MAX_TOKENS} ids kept",
        "n_tokens_used": int(input_all.size(1)),
        "first_ids": all_ids[:16],
        "definitions": {
            "window": "input = ids[begin:end], labels = same with the first (end-begin-trg_len) "
                      "set to -100; mean_loss = the model's mean cross-entropy (nats) over the "
                      "labels left after its internal shift",
            "ppl": "HF guide: exp(nll_sum / n_tokens) with nll_sum = sum(mean_loss * (valid - 1)), "
                   "n_tokens = sum(valid - 1), valid = number of labels != -100 in the window",
            "exact": "same windows, but each mean_loss weighted by loss_tokens, the number of "
                     "labels it really averaged (valid - 1 only for the window at begin 0); this "
                     "is the true per-token perplexity of the scored tokens 1..n-1",
        },
        "settings": settings,
    }


def write_json(path, obj):
    """Indented JSON with number lists kept on one line (token ids)."""
    text = json.dumps(obj, indent=1, ensure_ascii=False)
    text = re.sub(r"\[\s*(-?[0-9][-0-9.e+,\s]*?)\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    assert json.loads(text) == obj
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")


def _dist_version(name):
    from importlib.metadata import version
    return version(name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixtures", default="/work/shared/fixtures")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "data", "eval"))
    ap.add_argument("--part", choices=["lambada", "ppl", "all"], default="all")
    ap.add_argument("--batch-size", type=int, default=1)
    args = ap.parse_args()

    torch.manual_seed(0)
    model_dir = os.path.join(args.fixtures, "models", "stories260k")
    tok = LlamaTokenizer.from_pretrained(model_dir)
    sp, tok_rows = tokenizer_check(model_dir, tok)
    os.makedirs(args.out, exist_ok=True)

    if args.part in ("ppl", "all"):
        ppl = run_perplexity(model_dir, os.path.join(args.fixtures, "wikitext2", "wiki.test.raw"), tok, sp)
        path = os.path.join(args.out, "perplexity_stories260k_wikitext.json")
        write_json(path, ppl)
        for s in ppl["settings"]:
            print(f"ppl stride {s['stride']}: {s['ppl']:.6f} (nll_sum {s['nll_sum']:.4f}, "
                  f"n {s['n_tokens']}; exact {s['exact']['ppl']:.6f}) {s['seconds']:.1f}s")

    if args.part in ("lambada", "all"):
        lam = run_lambada(model_dir, os.path.join(args.fixtures, "lambada", "lambada_test.jsonl"),
                          tok_rows, args.batch_size)
        path = os.path.join(args.out, "lambada_stories260k_500.json")
        write_json(path, lam)
        print(f"lambada: acc {lam['acc']:.4f} +- {lam['acc_stderr']:.4f}, ppl {lam['perplexity']:.4f}, "
              f"bos {lam['bos']}, lm-eval {lam['lm_eval_version']}, {lam['seconds']:.1f}s, "
              f"crosscheck {lam['crosscheck_plain_transformers']}")


if __name__ == "__main__":
    main()
