#!/usr/bin/env bash
# llmrun's weight formats side by side with llama.cpp's on the same weights and text:
# KL divergence against each side's own 16-bit model on the same scored positions, bits
# per weight, decode and prefill speed. Writes one markdown table (WORK/table.md) and
# llama.cpp's (bits/weight, mean KL) points as WORK/llamacpp_points.csv for
# `llmeval kld --score-from 256 --reference-points` (pareto.svg).
#
#   scripts/compare_llamacpp.sh -b LLAMA_BUILD -m HF_DIR [-l LLMRUN_MODEL] [-p PRECISIONS]
#                               [-w WORK] [-n NAME] [-t THREADS] [-c CHUNKS] [-f TEXT]
#
#   -b  llama.cpp build folder (bin/llama-perplexity, llama-quantize, llama-bench); its
#       source (convert_hf_to_gguf.py) is taken to be the folder above, or -s SRC
#   -m  HF-layout checkpoint folder converted to llama.cpp's GGUF F16 (skipped when
#       WORK/F16.gguf exists), then quantized to Q8_0, Q6_K and Q4_K_M. For a model held
#       as GGUF (SmolLM2): transformers' from_pretrained(dir, gguf_file=...) +
#       save_pretrained, with the tokenizer.json of `llmrun quantize -m FILE.gguf` copied
#       over transformers' (whose GGUF tokenizer export llama.cpp's converter reads as SPM)
#   -l  what llmrun loads (default: -m); must hold the same weights (e.g. the GGUF that
#       -m was dequantized from) and a tokenizer
#   -p  llmrun precisions, comma list (default fp16,int8,fp8,fp6, the per-row int8-row,
#       fp8-row,fp6-e3m2,fp6-e2m3, and int8,fp8,fp6 each with the
#       embedding/LM head quantized too: mixed:attn=F,mlp=F,embed=F)
#   -w  work folder (default /tmp/compare-llamacpp/NAME); -n NAME (default: basename of -m)
#   -t  threads for both sides (default 2); -c chunks of 512 tokens (default 16 = 8,192 tokens)
#   -f  text (default ../shared/fixtures/wikitext2/wiki.test.raw from the repo root)
# Environment: PYTHON (default python3) with torch, transformers, numpy, sentencepiece and
# llama.cpp's gguf-py (convert_hf_to_gguf.py's needs; the helper needs numpy and gguf);
# LLMEVAL (default build/bin/llmeval of this repo); LLAMACPP_COMMIT names llama.cpp's commit
# in the log when its source folder is no git checkout (an export of the mirror).
#
# Scored positions: llama-perplexity scores positions 256..510 of each 512-token chunk
# (BOS in place of each chunk's first token when the tokenizer adds BOS). `llmeval kld`
# scores all 511 positions of its windows and cannot be told otherwise, so llmrun's side
# runs `llmeval logits` on llama.cpp's own token windows (read from the .kld file) and
# scripts/compare_llamacpp.py scores the same positions; it also reports whether llmrun's
# tokenizer gives the same ids and how far the two 16-bit baselines are apart.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build= src= model= llmrun_model= work= name= threads=2 chunks=16 text=
precisions="fp16,int8,fp8,fp6,int8-row,fp8-row,fp6-e3m2,fp6-e2m3,mixed:attn=int8,mlp=int8,embed=int8,mixed:attn=fp8,mlp=fp8,embed=fp8,mixed:attn=fp6,mlp=fp6,embed=fp6"
quants="Q8_0 Q6_K Q4_K_M"
die() { echo "compare_llamacpp: $*" >&2; exit 1; }
while getopts "b:s:m:l:p:w:n:t:c:f:" o; do
  case $o in
    b) build=$OPTARG ;; s) src=$OPTARG ;; m) model=$OPTARG ;; l) llmrun_model=$OPTARG ;;
    p) precisions=$OPTARG ;; w) work=$OPTARG ;; n) name=$OPTARG ;; t) threads=$OPTARG ;;
    c) chunks=$OPTARG ;; f) text=$OPTARG ;; *) sed -n '2,20p' "$0" >&2; exit 2 ;;
  esac
done
[ -n "$build" ] && [ -n "$model" ] || { sed -n '2,20p' "$0" >&2; exit 2; }
build=$(cd "$build" && pwd)
src=${src:-$(dirname "$build")}
llmrun_model=${llmrun_model:-$model}
name=${name:-$(basename "$model")}
work=${work:-/tmp/compare-llamacpp/$name}
text=${text:-$root/../shared/fixtures/wikitext2/wiki.test.raw}
python=${PYTHON:-python3}
llmeval=${LLMEVAL:-$root/build/bin/llmeval}
helper=$root/scripts/compare_llamacpp.py
for b in llama-perplexity llama-quantize llama-bench; do [ -x "$build/bin/$b" ] || die "no $build/bin/$b"; done
[ -x "$llmeval" ] || die "no llmeval at $llmeval (set LLMEVAL)"
[ -f "$text" ] || die "no text file $text"
mkdir -p "$work"
log=$work/run.log
: > "$log"
t_all=$(date +%s)
step() {  # step NAME STDOUT STDERR CMD...: run with output to files, log the command and its time
  local t0 rc=0; t0=$(date +%s)
  echo "== $1: ${*:4}" | tee -a "$log" >&2
  if [ "$2" = "$3" ]; then "${@:4}" > "$2" 2>&1 || rc=$?; else "${@:4}" > "$2" 2> "$3" || rc=$?; fi
  echo "   $1: $(( $(date +%s) - t0 )) s" | tee -a "$log" >&2
  [ $rc -eq 0 ] || die "$1 failed (exit $rc): see $3"
}

{
  echo "date: $(date -u +%FT%TZ)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(grep -q avx512f /proc/cpuinfo && echo AVX-512 || echo AVX2 only)"
  echo "llama.cpp: ${LLAMACPP_COMMIT:-$(git -C "$src" rev-parse HEAD 2>/dev/null || echo unknown)}"
  echo "llmrun: $(git -C "$root" rev-parse --short HEAD), llmeval $llmeval"
  echo "model: $model; llmrun loads: $llmrun_model; text: $text; chunks: $chunks x 512; threads: $threads"
} | tee -a "$log" >&2

# 1. llama.cpp's GGUFs: F16 from the HF folder, then the quantized ones from F16.
if [ ! -f "$work/F16.gguf" ]; then
  step convert "$work/convert.log" "$work/convert.log" \
    "$python" "$src/convert_hf_to_gguf.py" "$model" --outtype f16 --outfile "$work/F16.gguf"
fi
# llama-quantize has no fallback for Q8_0 when a tensor's row length is no multiple of 32
# (stories260k: FFN 172): then those tensors are kept F16 (--tensor-type NAME=f16) and the
# table says so; the k-quants fall back by themselves (Q6_K -> Q8_0 -> F16, Q4_K -> Q5_0 -> F16).
for q in $quants; do
  [ -f "$work/$q.gguf" ] && continue
  t0=$(date +%s)
  echo "== quantize $q: $build/bin/llama-quantize $work/F16.gguf $work/$q.gguf $q $threads" | tee -a "$log" >&2
  ok=1; "$build/bin/llama-quantize" "$work/F16.gguf" "$work/$q.gguf" "$q" "$threads" > "$work/quantize-$q.log" 2>&1 || ok=0
  echo "   quantize $q: $(( $(date +%s) - t0 )) s" | tee -a "$log" >&2
  if [ $ok = 0 ]; then
    grep -q "no tensor type fallback" "$work/quantize-$q.log" || die "llama-quantize $q failed: $work/quantize-$q.log"
    keep=$(grep -o 'warning: blk\.[0-9]*\.[a-z_0-9]*\.weight' "$work/quantize-$q.log" | sed 's/.*blk\.[0-9]*\.//; s/\.weight//' | sort -u)
    overrides=(); for t in $keep; do overrides+=(--tensor-type "$t=f16"); done
    echo "$q: llama-quantize has no fallback for rows of these tensors; kept F16: $keep" | tee "$work/$q.note" >&2
    step "quantize $q" "$work/quantize-$q.log" "$work/quantize-$q.log" \
      "$build/bin/llama-quantize" "${overrides[@]}" "$work/F16.gguf" "$work/$q.gguf" "$q" "$threads"
  fi
done

# 2. llama.cpp KL: the F16 run writes the base log-probs, each quantized run reads them.
# A run whose log is complete is kept from an earlier call into the same work folder
# (delete the log to redo it); the F16 run only with the same text and chunk count.
kept() {  # kept FILE PATTERN [ARGS_FILE ARGS]: FILE is complete (holds PATTERN) and was made with ARGS
  [ -f "$1" ] && grep -Eq "$2" "$1" && { [ $# -lt 4 ] || [ "$(cat "$3" 2>/dev/null)" = "$4" ]; } &&
    { echo "   kept $1 from an earlier run" | tee -a "$log" >&2; }
}
base_args="$text $chunks"
if ! { [ -f "$work/F16.kld" ] && kept "$work/perplexity-F16.log" 'Final estimate: PPL' "$work/F16.args" "$base_args"; }; then
  step "llama-perplexity F16" "$work/perplexity-F16.log" "$work/perplexity-F16.log" \
    "$build/bin/llama-perplexity" -m "$work/F16.gguf" -f "$text" -c 512 --chunks "$chunks" -t "$threads" \
    --kl-divergence-base "$work/F16.kld"
  echo "$base_args" > "$work/F16.args"
  for q in $quants; do rm -f "$work/perplexity-$q.log"; done  # their KL was against the old base
fi
# llama.cpp logs from a thread of its own and now and then exits (status 0) before that
# thread wrote the statistics at the end: such a run is repeated, up to 3 times.
for q in $quants; do
  kept "$work/perplexity-$q.log" 'Mean +KLD:' && continue
  for attempt in 1 2 3; do
    step "llama-perplexity $q" "$work/perplexity-$q.log" "$work/perplexity-$q.log" \
      "$build/bin/llama-perplexity" -m "$work/$q.gguf" -c 512 -t "$threads" \
      --kl-divergence-base "$work/F16.kld" --kl-divergence
    grep -Eq 'Mean +KLD:' "$work/perplexity-$q.log" && break
    [ $attempt = 3 ] && die "llama-perplexity $q: no KL statistics in its log after 3 runs: $work/perplexity-$q.log"
    echo "   its log ends before the KL statistics (llama.cpp's log thread cut short): again" | tee -a "$log" >&2
  done
done

# 3. llmrun KL on the same windows and positions (kept, like llama.cpp's, when an earlier
# call measured the same model and precisions against the same base).
kl_args="$llmrun_model $precisions $(stat -c %Y "$work/F16.kld")"
if ! kept "$work/llmrun-kl.json" '"rows"' "$work/llmrun-kl.args" "$kl_args"; then
  step "llmrun KL" /dev/null "$work/llmrun-kl.log" \
    "$python" "$helper" llmrun-kl --llmeval "$llmeval" --model "$llmrun_model" --kld-base "$work/F16.kld" \
    --gguf "$work/F16.gguf" --text "$text" --precisions "$precisions" --threads "$threads" --out "$work/llmrun-kl.json"
  echo "$kl_args" > "$work/llmrun-kl.args"
fi

# 4. Speed: decode 64 tokens from an empty context, prefill 512 (3 repetitions each side).
ms=(-m "$work/F16.gguf"); for q in $quants; do ms+=(-m "$work/$q.gguf"); done
step llama-bench "$work/llama-bench.json" "$work/llama-bench.log" \
  "$build/bin/llama-bench" "${ms[@]}" -p 512 -n 64 -t "$threads" -r 3 -o json
step "llmeval bench decode" "$work/llmeval-bench-decode.log" "$work/llmeval-bench-decode.log" \
  "$llmeval" bench --model "$llmrun_model" --precisions "$precisions" --device cpu --threads "$threads" \
  --prompt-len 16 --gen-len 64 --reps 3 --out "$work/llmeval-bench-decode"
# (a model whose context is 512, like stories260k, cannot take 512 + 1 tokens: then 511)
bench_prefill() {
  step "llmeval bench prefill $1" "$work/llmeval-bench-prefill.log" "$work/llmeval-bench-prefill.log" \
    "$llmeval" bench --model "$llmrun_model" --precisions "$precisions" --device cpu --threads "$threads" \
    --prompt-len "$1" --gen-len 1 --reps 3 --out "$work/llmeval-bench-prefill"
}
if ! (bench_prefill 512); then
  grep -q "exceeds the model's context" "$work/llmeval-bench-prefill.log" || exit 1
  echo "llmeval prefill measured at 511 tokens (context 512)" | tee "$work/prefill.note" >&2
  bench_prefill 511
fi

# 5. The table.
"$python" "$helper" table --work "$work" --precisions "$precisions" --quants "${quants// /,}" --name "$name" \
  > "$work/table.md"
echo "total: $(( $(date +%s) - t_all )) s" | tee -a "$log" >&2
cat "$work/table.md"
