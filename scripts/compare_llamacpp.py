#!/usr/bin/env python3
"""Helper of scripts/compare_llamacpp.sh: llmrun's side of the KL comparison, scored on
exactly the positions llama-perplexity scores, and the side-by-side markdown table.

  compare_llamacpp.py llmrun-kl  --llmeval BIN --model M --kld-base F16.kld --gguf F16.gguf
                                 --text FILE --precisions LIST --threads N --out kl.json
  compare_llamacpp.py table      --work DIR --precisions LIST --name NAME > table.md

Which positions: llama-perplexity (--kl-divergence-base / --kl-divergence) tokenizes the
whole text once (BOS first if the GGUF's tokenizer adds one), cuts it into chunks of n_ctx
tokens, puts BOS in place of each chunk's first token (when add_bos), runs each chunk from
an empty cache and scores only the logits at positions n_ctx/2 .. n_ctx-2 (predicting
tokens n_ctx/2+1 .. n_ctx-1): 255 of 512 per chunk. `llmeval kld` scores all 511
positions of each window and has no option to do otherwise, and puts no BOS at the start
of later windows. So this script feeds llmrun the very token windows llama.cpp used (read
from the .kld base file), dumps llmrun's logits with `llmeval logits` (one call per window
and precision) and scores the same positions with llama.cpp's formulas (KL(base || test),
p99 by linear interpolation, same top-1 = argmax agreement).

Needs numpy, and gguf (llama.cpp's gguf-py) to read add_bos / bos id from the F16 GGUF.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np


def read_kld_base(path):
    """llama-perplexity's --kl-divergence-base file: header, tokens, then per chunk
    (n_ctx-1-n_ctx/2) rows of nv uint16 (2 floats scale, min_log_prob, then the quantized
    log-probs)."""
    with open(path, "rb") as f:
        if f.read(8) != b"_logits_":
            sys.exit(f"{path}: not a llama-perplexity log-prob file")
        n_ctx, n_vocab, n_chunk = np.frombuffer(f.read(12), dtype="<i4")
        tokens = np.frombuffer(f.read(4 * n_ctx * n_chunk), dtype="<i4").astype(np.int64)
        offset = f.tell()
    nv = 2 * ((int(n_vocab) + 1) // 2) + 4
    n_scored = int(n_ctx) - 1 - int(n_ctx) // 2
    data = np.memmap(path, dtype="<u2", mode="r", offset=offset, shape=(int(n_chunk), n_scored, nv))
    return int(n_ctx), int(n_vocab), int(n_chunk), tokens, data


def base_log_probs(rows, n_vocab):
    """Dequantize llama.cpp's stored base log-probs: [rows, n_vocab] float32."""
    head = np.ascontiguousarray(rows[:, :4]).view("<f4")  # [rows, 2]: scale, min_log_prob
    return rows[:, 4:4 + n_vocab].astype(np.float32) * head[:, :1] + head[:, 1:2]


def gguf_bos(gguf_path):
    from gguf import GGUFReader  # llama.cpp's gguf-py
    r = GGUFReader(gguf_path)

    def field(name):
        f = r.fields.get(name)
        return None if f is None else f.parts[f.data[0]][0].item()

    add_bos = field("tokenizer.ggml.add_bos_token")
    return bool(add_bos) if add_bos is not None else False, field("tokenizer.ggml.bos_token_id")


def log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


def percentile(sorted_values, fraction):
    """llama-perplexity's percentile: linear interpolation between neighbours."""
    v = sorted_values
    p = fraction * (len(v) - 1)
    i = int(p)
    p -= i
    return (1 - p) * v[i] + p * v[min(i + 1, len(v) - 1)]


def stats(kl, agree, nll_test, nll_base):
    kl = np.sort(np.asarray(kl))
    return {
        "positions": int(len(kl)),
        "mean_kl": float(kl.mean()),
        "p99_kl": float(percentile(kl, 0.99)),
        "max_kl": float(kl[-1]),
        "same_top1": float(np.mean(agree)),
        "ppl": float(np.exp(np.mean(nll_test))),
        "ppl_base": float(np.exp(np.mean(nll_base))),
    }


def split_precisions(spec):
    """'fp16,mixed:attn=fp8,mlp=fp8,embed=fp8,int8' -> pieces; a piece with '=' but no ':'
    continues the mixed: spec before it (llmeval's rule)."""
    out = []
    for piece in [p for p in spec.split(",") if p]:
        if "=" in piece and ":" not in piece and out:
            out[-1] += "," + piece
        else:
            out.append(piece)
    return out


def llmrun_kl(a):
    n_ctx, n_vocab, n_chunk, tokens, base = read_kld_base(a.kld_base)
    add_bos, bos = gguf_bos(a.gguf)
    first = n_ctx // 2
    precisions = split_precisions(a.precisions)
    if precisions[0] != "fp16":
        precisions = ["fp16"] + [p for p in precisions if p != "fp16"]
    llmrun = os.path.join(os.path.dirname(a.llmeval), "llmrun")

    # Tokenization: llmrun's ids for the text vs the ids llama.cpp scored.
    ours = np.array(subprocess.run([llmrun, "tokenize", "-m", a.model, "-f", a.text], check=True,
                                   capture_output=True, text=True).stdout.split(), dtype=np.int64)
    n = min(len(ours), len(tokens))
    diff = np.nonzero(ours[:n] != tokens[:n])[0]
    tok = {"llama_cpp_tokens": int(len(tokens)), "llmrun_tokens_whole_text": int(len(ours)),
           "mismatches_in_scored_range": int(len(diff)) + (len(tokens) - n),
           "first_mismatch": int(diff[0]) if len(diff) else None,
           "llama_cpp_first_ids": tokens[:8].tolist(), "llmrun_first_ids": ours[:8].tolist(),
           "add_bos": add_bos, "bos_id": bos}
    if len(diff):
        i = int(diff[0])
        tok["context_at_first_mismatch"] = {"llama_cpp": tokens[max(0, i - 3):i + 5].tolist(),
                                            "llmrun": ours[max(0, i - 3):i + 5].tolist()}
    print(f"tokenization: {tok}", file=sys.stderr)

    acc = {p: {"kl": [], "agree": [], "nll": [], "nll_base": []} for p in precisions}
    cross = {"kl": [], "agree": [], "nll": [], "nll_base": []}  # llama.cpp F16 (base) vs llmrun fp16
    calls, t_calls = 0, 0.0
    windows = []
    for c in range(n_chunk):
        window = tokens[c * n_ctx:(c + 1) * n_ctx].copy()
        if add_bos:
            window[0] = bos
        windows.append(window)
    # One llmeval call per precision with every window (the model loaded and quantized once),
    # its logits [n_chunk * n_ctx, vocab] read back window by window; our fp16's stay on
    # disk as the reference of the others.
    with tempfile.TemporaryDirectory() as tmp:
        ref_path = None
        for p in precisions:
            out = os.path.join(tmp, "fp16.f32" if ref_path is None else "test.f32")
            cmd = [a.llmeval, "logits", "--model", a.model, "--precision", p, "--device", "cpu",
                   "--threads", str(a.threads), "--out", out]
            for w in windows:
                cmd += ["--ids", ",".join(str(int(t)) for t in w)]
            t0 = time.time()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t_calls += time.time() - t0
            calls += 1
            logits = np.memmap(out, dtype="<f4", mode="r")
            if logits.size != n_chunk * n_ctx * n_vocab:
                sys.exit(f"llmrun wrote {logits.size} logits, expected {n_chunk} x {n_ctx} x vocab {n_vocab}")
            logits = logits.reshape(n_chunk, n_ctx, n_vocab)
            ref = None if ref_path is None else np.memmap(ref_path, dtype="<f4", mode="r").reshape(n_chunk, n_ctx, n_vocab)
            for c in range(n_chunk):
                targets = windows[c][first + 1:]
                rows = np.arange(len(targets))
                lp = log_softmax(logits[c, first:n_ctx - 1])  # [255, vocab] float64
                if ref is None:  # our fp16: compare with llama.cpp's F16 base
                    blp = base_log_probs(np.asarray(base[c]), n_vocab).astype(np.float64)
                    pb = np.exp(blp)
                    # llama.cpp's KL: terms with base log-prob > -16 only
                    cross["kl"] += list(np.where(blp > -16, pb * (blp - lp), 0).sum(axis=1))
                    cross["agree"] += list(blp.argmax(axis=1) == lp.argmax(axis=1))
                    cross["nll"] += list(-lp[rows, targets])
                    cross["nll_base"] += list(-blp[rows, targets])
                    continue
                ref_lp = log_softmax(ref[c, first:n_ctx - 1])
                s = acc[p]
                s["kl"] += list((np.exp(ref_lp) * (ref_lp - lp)).sum(axis=1))
                s["agree"] += list(ref_lp.argmax(axis=1) == lp.argmax(axis=1))
                s["nll"] += list(-lp[rows, targets])
                s["nll_base"] += list(-ref_lp[rows, targets])
            del logits, ref
            if ref_path is None:
                ref_path = out
            print(f"llmrun-kl: {p} done ({calls} of {len(precisions)} llmeval logits calls, {t_calls:.0f} s)",
                  file=sys.stderr)
    result = {"n_ctx": n_ctx, "n_chunk": n_chunk, "first_scored": first, "tokenization": tok,
              "llama_f16_vs_llmrun_fp16": stats(**{k: v for k, v in zip(("kl", "agree", "nll_test", "nll_base"),
                                                                         (cross["kl"], cross["agree"], cross["nll"],
                                                                          cross["nll_base"]))}),
              "rows": {p: stats(acc[p]["kl"], acc[p]["agree"], acc[p]["nll"], acc[p]["nll_base"])
                       for p in precisions[1:]},
              "llmeval_logits_calls": calls, "llmeval_logits_seconds": t_calls}
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)


def parse_perplexity_log(path):
    text = open(path, encoding="utf-8", errors="replace").read()

    def num(pattern):
        m = re.search(pattern, text)
        return float(m.group(1)) if m else None

    return {"mean_kl": num(r"Mean\s+KLD:\s+([-0-9.eE+]+)"), "p99_kl": num(r"99\.0%\s+KLD:\s+([-0-9.eE+]+)"),
            "same_top1": (lambda v: v / 100 if v is not None else None)(num(r"Same top p:\s+([0-9.]+)")),
            "ppl": num(r"Mean PPL\(Q\)\s+:\s+([0-9.]+)"), "ppl_base": num(r"Mean PPL\(base\)\s+:\s+([0-9.]+)"),
            "final_estimate_ppl": num(r"Final estimate: PPL = ([0-9.]+)")}


def fmt(v):
    return "—" if v is None else f"{v:.3g}"


def speed(v):
    return "—" if v is None else (f"{v:.1f}" if v < 100 else f"{v:.0f}")


def label(p):
    m = re.fullmatch(r"mixed:attn=(\w+),mlp=(\w+),embed=(\w+)", p)
    if m and m.group(1) == m.group(2) == m.group(3):
        return f"llmrun {m.group(1)} +emb"
    return f"llmrun {p}"


def table(a):
    w = a.work
    quants = a.quants.split(",")
    bench = json.load(open(os.path.join(w, "llama-bench.json")))
    kl = json.load(open(os.path.join(w, "llmrun-kl.json")))
    dec = {r["precision"]: r for r in json.load(open(os.path.join(w, "llmeval-bench-decode", "results.json")))["rows"]}
    pre_path = os.path.join(w, "llmeval-bench-prefill", "results.json")
    pre = {r["precision"]: r for r in json.load(open(pre_path))["rows"]} if os.path.exists(pre_path) else {}

    def llama_speed(fname, kind):
        for r in bench:
            if os.path.basename(r["model_filename"]) == fname:
                if kind == "tg" and r["n_gen"] > 0 and r["n_prompt"] == 0:
                    return r["avg_ts"]
                if kind == "pp" and r["n_prompt"] > 0 and r["n_gen"] == 0:
                    return r["avg_ts"]
        return None

    n_params = next(r["model_n_params"] for r in bench if os.path.basename(r["model_filename"]) == "F16.gguf")
    rows = []
    for q in ["F16"] + quants:
        fname = f"{q}.gguf"
        size = os.path.getsize(os.path.join(w, fname))
        tensor_bytes = next(r["model_size"] for r in bench if os.path.basename(r["model_filename"]) == fname)
        s = parse_perplexity_log(os.path.join(w, f"perplexity-{q}.log")) if q != "F16" else {}
        rows.append([f"llama.cpp {q}", f"{size * 8 / n_params:.2f}", f"{tensor_bytes * 8 / n_params:.2f}",
                     fmt(s.get("mean_kl")), fmt(s.get("p99_kl")),
                     "—" if q == "F16" else f"{100 * s['same_top1']:.1f}",
                     f"{parse_perplexity_log(os.path.join(w, 'perplexity-F16.log'))['final_estimate_ppl']:.3f}"
                     if q == "F16" else f"{s['ppl']:.3f}",
                     speed(llama_speed(fname, "tg")), speed(llama_speed(fname, "pp"))])
    # llama.cpp's points for `llmeval kld --score-from N --reference-points` (pareto.svg).
    with open(os.path.join(w, "llamacpp_points.csv"), "w") as f:
        f.write("label,bits_per_weight,mean_kl\n")
        for row, q in zip(rows[1:], quants):
            if row[3] != "—":
                f.write(f"{q},{row[1]},{parse_perplexity_log(os.path.join(w, f'perplexity-{q}.log'))['mean_kl']}\n")
    for p in split_precisions(a.precisions):
        r = kl["rows"].get(p)
        d, pr = dec.get(p, {}), pre.get(p, {})
        bpw = d.get("bits_per_weight")
        ppl = kl["llama_f16_vs_llmrun_fp16"]["ppl"] if p == "fp16" else r["ppl"]
        rows.append([label(p), f"{bpw:.2f}" if bpw else "—", f"{bpw:.2f}" if bpw else "—",
                     "—" if r is None else fmt(r["mean_kl"]), "—" if r is None else fmt(r["p99_kl"]),
                     "—" if r is None else f"{100 * r['same_top1']:.1f}", f"{ppl:.3f}",
                     speed(d.get("decode_tokens_per_second")), speed(pr.get("prefill_tokens_per_second"))])
    head = ["format", "bits/weight (whole model)", "bits/weight (tensor data)", "mean KL", "p99 KL", "same top-1 %",
            "ppl", "decode tok/s", "prefill tok/s (512)"]
    out = [f"**{a.name}** — {kl['n_chunk']} chunks of {kl['n_ctx']}, "
           f"{kl['n_chunk'] * (kl['n_ctx'] - 1 - kl['first_scored'])} scored positions (each chunk's "
           f"{kl['first_scored']}..{kl['n_ctx'] - 2}), {n_params:,} params", "",
           "| " + " | ".join(head) + " |", "|:--|" + "--:|" * (len(head) - 1)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    x = kl["llama_f16_vs_llmrun_fp16"]
    t = kl["tokenization"]
    f16_ppl = parse_perplexity_log(os.path.join(w, "perplexity-F16.log"))["final_estimate_ppl"]
    out += ["", f"- llama.cpp F16 vs llmrun fp16 on the same positions: mean KL {fmt(x['mean_kl'])}, "
                f"p99 {fmt(x['p99_kl'])}, same top-1 {100 * x['same_top1']:.2f} %, ppl {f16_ppl:.3f} vs "
                f"{x['ppl']:.3f}.",
            f"- Tokenization: llama.cpp {t['llama_cpp_tokens']} ids scored; llmrun's ids for the whole text "
            f"({t['llmrun_tokens_whole_text']}) differ from them at {t['mismatches_in_scored_range']} of those "
            f"positions" + (f" (first at {t['first_mismatch']})" if t["first_mismatch"] is not None else "") + "."]
    for q in quants:
        from gguf import GGUFReader
        counts = {}
        for t in GGUFReader(os.path.join(w, f"{q}.gguf")).tensors:
            counts[t.tensor_type.name] = counts.get(t.tensor_type.name, 0) + 1
        types = sorted(counts.items(), key=lambda kv: -kv[1])
        m = re.search(r"WARNING: (\d+) of (\d+) tensor\(s\) required fallback",
                      open(os.path.join(w, f"quantize-{q}.log"), errors="replace").read())
        note = os.path.join(w, f"{q}.note")
        out.append(f"- {q} file's tensor types: " + ", ".join(f"{n} {ty}" for ty, n in types)
                   + (f"; {m.group(1)} of {m.group(2)} tensors fell back to another type (row length)" if m else "")
                   + (f"; {open(note).read().strip().split(': ', 1)[1]}" if os.path.exists(note) else "") + ".")
    if os.path.exists(os.path.join(w, "prefill.note")):
        out.append("- " + open(os.path.join(w, "prefill.note")).read().strip() + "; llama-bench's pp512 at 512.")
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("llmrun-kl")
    for o in ("--llmeval", "--model", "--kld-base", "--gguf", "--text", "--precisions", "--out"):
        k.add_argument(o, required=True)
    k.add_argument("--threads", type=int, default=2)
    t = sub.add_parser("table")
    t.add_argument("--work", required=True)
    t.add_argument("--precisions", required=True)
    t.add_argument("--quants", default="Q8_0,Q6_K,Q4_K_M")
    t.add_argument("--name", required=True)
    a = ap.parse_args()
    llmrun_kl(a) if a.cmd == "llmrun-kl" else table(a)


if __name__ == "__main__":
    main()
