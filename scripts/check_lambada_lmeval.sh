#!/usr/bin/env bash
# LAMBADA with lm-evaluation-harness itself next to `llmeval lambada --precisions fp32` on
# the same GGUF weights (docs/ACCURACY.md): lm-eval's HF backend loads the GGUF through
# transformers (gguf_file=..., de-quantized to fp32) and scores the task
# lambada_openai_local (scripts/lmeval_tasks/, lm-eval's own lambada_openai fields on the
# local fixture file); then llmeval scores the same passages; both results side by side.
#
#   scripts/check_lambada_lmeval.sh [MODEL.gguf]    (default: the SmolLM2-135M-Instruct
#                                                    Q4_1 GGUF from scripts/fetch_smollm2.sh)
# Environment:
#   LMEVAL_VENV  the virtual environment with lm-eval (default /work/venv-lmeval), made by
#                python3 -m venv DIR && DIR/bin/pip install -r scripts/requirements-lmeval.txt
#   LLMEVAL      the llmeval binary (default build/bin/llmeval)
#   LAMBADA      lambada_test.jsonl (default ../shared/fixtures/lambada/lambada_test.jsonl)
#   LIMIT        the first N passages (default 1000; 0 = all 5,153)
#   BOS          no (default) | yes: a BOS token before each passage on both sides. "no" is
#                what the GGUF says (tokenizer.ggml.add_bos_token = false) and what
#                `llmeval --bos auto` does for it; lm-eval 0.4.13 left to itself adds BOS
#                here, because transformers' GGUF tokenizer for a llama-architecture file is
#                a LlamaTokenizerFast with add_bos_token=True whatever the file says; so the
#                flag is passed explicitly to both (lm-eval add_bos_token, llmeval --bos).
#   OUT          where the results go (default a new /tmp/check_lambada_lmeval.XXXXXX)
# One thread on each side (OMP_NUM_THREADS=1, --threads 1); the two run one after the
# other. Nothing is downloaded: HF_HUB_OFFLINE / HF_DATASETS_OFFLINE are set.
# Exits 0 when both give the same count of correct passages and perplexities within 1e-4
# relative, 1 when they differ, 2 on a setup error.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${LMEVAL_VENV:-/work/venv-lmeval}
model=${1:-${LLMRUN_CACHE:-$HOME/.cache/llmrun}/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf}
default_data=$root/../shared/fixtures/lambada/lambada_test.jsonl
data=${LAMBADA:-$default_data}
limit=${LIMIT:-1000}
bos=${BOS:-no}
llmeval=${LLMEVAL:-$root/build/bin/llmeval}
out=${OUT:-}
lmeval_version=0.4.13

die() { echo "check_lambada_lmeval: $*" >&2; exit 2; }

[ -x "$venv/bin/python" ] && [ -x "$venv/bin/lm_eval" ] ||
  die "no lm-eval virtual environment at $venv (set LMEVAL_VENV, or make it: python3 -m venv $venv && $venv/bin/pip install -r scripts/requirements-lmeval.txt)"
have=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("lm_eval"))' 2>/dev/null) ||
  die "$venv has no lm_eval package (pip install -r scripts/requirements-lmeval.txt)"
[ "$have" = "$lmeval_version" ] ||
  echo "check_lambada_lmeval: warning: $venv has lm_eval $have, scripts/requirements-lmeval.txt pins $lmeval_version" >&2
[ -f "$model" ] || die "no model at $model (scripts/fetch_smollm2.sh fetches the default one)"
[ -f "$data" ] || die "no LAMBADA file at $data (set LAMBADA to lm-eval's lambada_openai test file)"
[ -x "$llmeval" ] || die "no llmeval at $llmeval (build the project, or set LLMEVAL)"
case $bos in yes) lm_bos=True ;; no) lm_bos=False ;; *) die "BOS must be yes or no, got '$bos'" ;; esac
case $limit in '' | *[!0-9]*) die "LIMIT must be a number, got '$limit'" ;; esac
model=$(cd "$(dirname "$model")" && pwd)/$(basename "$model")
data=$(cd "$(dirname "$data")" && pwd)/$(basename "$data")
case $model in *,* | *=*) die "lm-eval's --model_args cannot hold a path with ',' or '=': $model" ;; esac
if [ -n "$out" ]; then mkdir -p "$out"; else out=$(mktemp -d /tmp/check_lambada_lmeval.XXXXXX); fi

# The committed task reads ../shared/fixtures from the project root; another file gets a
# copy of the task with only that path changed.
tasks=$root/scripts/lmeval_tasks
if [ ! -f "$default_data" ] || [ "$data" != "$(cd "$(dirname "$default_data")" && pwd)/$(basename "$default_data")" ]; then
  tasks=$out/lmeval_tasks
  mkdir -p "$tasks"
  "$venv/bin/python" - "$root/scripts/lmeval_tasks/lambada_openai_local.yaml" "$tasks/lambada_openai_local.yaml" "$data" <<'PY'
import json, sys
src, dst, data = sys.argv[1:]
lines = open(src, encoding="utf-8").read().splitlines(keepends=True)
key = "    test: ../shared/fixtures/lambada/lambada_test.jsonl\n"
assert lines.count(key) == 1, f"{src}: the data_files line changed; update check_lambada_lmeval.sh"
open(dst, "w", encoding="utf-8").write("".join(f"    test: {json.dumps(data)}\n" if l == key else l for l in lines))
PY
fi

limit_args=()
[ "$limit" = 0 ] || limit_args=(--limit "$limit")
echo "check_lambada_lmeval: lm-eval $have on $(basename "$model") (fp32), ${limit/#0/all} passages, BOS $bos; results in $out" >&2
(
  cd "$root"
  export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
  export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_CACHE=$out/hf-datasets
  "$venv/bin/lm_eval" --model hf \
    --model_args "pretrained=$(dirname "$model"),gguf_file=$(basename "$model"),dtype=float32,add_bos_token=$lm_bos" \
    --tasks lambada_openai_local --include_path "$tasks" "${limit_args[@]}" \
    --batch_size 1 --device cpu --log_samples --output_path "$out/lmeval"
) >"$out/lmeval.log" 2>&1 || { tail -n 20 "$out/lmeval.log" >&2; die "lm_eval failed (log: $out/lmeval.log)"; }

echo "check_lambada_lmeval: llmeval lambada --precisions fp32" >&2
"$llmeval" lambada --model "$model" --data "$data" --precisions fp32 --baseline fp32 \
  --limit "$limit" --threads 1 --bos "$bos" --out "$out/llmeval" >"$out/llmeval.log" 2>&1 ||
  { tail -n 20 "$out/llmeval.log" >&2; die "llmeval failed (log: $out/llmeval.log)"; }

"$venv/bin/python" - "$out" "$have" <<'PY'
import glob, json, math, sys

out, version = sys.argv[1:]
results = sorted(glob.glob(f"{out}/lmeval/*/results_*.json"))
samples = sorted(glob.glob(f"{out}/lmeval/*/samples_lambada_openai_local_*.jsonl"))
if not results or not samples:
    sys.exit(f"check_lambada_lmeval: no lm-eval results or samples under {out}/lmeval")
agg = json.load(open(results[-1]))["results"]["lambada_openai_local"]
docs = sorted((json.loads(l) for l in open(samples[-1], encoding="utf-8")), key=lambda d: d["doc_id"])
n = len(docs)
assert [d["doc_id"] for d in docs] == list(range(n)), "lm-eval did not score passages 0..n-1"
lm_correct = sum(int(d["acc"]) for d in docs)
lm_ppl = math.exp(-sum(float(d["perplexity"]) for d in docs) / n)
assert abs(lm_correct / n - agg["acc,none"]) < 1e-12 and abs(lm_ppl / agg["perplexity,none"] - 1) < 1e-9
with open(f"{out}/lmeval_correct_doc_ids.txt", "w") as f:
    f.write("".join(f"{d['doc_id']}\n" for d in docs if int(d["acc"])))

row = json.load(open(f"{out}/llmeval/results.json"))["rows"][0]
ll_correct = round(row["accuracy"] * n)
assert abs(ll_correct / n - row["accuracy"]) < 1e-9, "llmeval scored another number of passages"
ll_ppl = row["perplexity"]

print(f"LAMBADA (lambada_openai), first {n} passages, fp32")
print(f"| {'':<14} | correct |  acc %  |    ppl     |")
print(f"|:{'-' * 14}-|--------:|--------:|-----------:|")
print(f"| lm-eval {version:<6} | {lm_correct:>7} | {100 * lm_correct / n:7.2f} | {lm_ppl:10.4f} |")
print(f"| llmeval fp32   | {ll_correct:>7} | {100 * ll_correct / n:7.2f} | {ll_ppl:10.4f} |")
rel = abs(ll_ppl / lm_ppl - 1)
print(f"ppl relative difference {rel:.2e}; lm-eval's per-passage results: {samples[-1]} "
      f"(correct doc ids in {out}/lmeval_correct_doc_ids.txt); llmeval writes no per-passage results")
same = ll_correct == lm_correct and rel < 1e-4
print("match" if same else "DIFFER")
sys.exit(0 if same else 1)
PY
