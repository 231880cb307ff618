#!/bin/bash
# Decode speed against llama.cpp as pairs of runs back to back, for a machine whose speed
# drifts between minutes (docs/PERFORMANCE.md: up to 2x on the KVM guest): each pair runs
# llama-bench on Q8_0 and Q6_K, then `llmeval bench` on int8 / fp6 with the embedding
# quantized as llama.cpp does, decoding 64 tokens; the summary gives each side's median
# (min-max) tok/s and the median (min-max) of the pairs' ratios, llmrun / llama.cpp.
#
# usage: scripts/decode_pairs_llamacpp.sh -b LLAMA_BIN_DIR -g GGUF_DIR -m LLMRUN_MODEL
#          [-e LLMEVAL] [-i ISA] [-n PAIRS] [-t THREADS]
# GGUF_DIR holds Q8_0.gguf and Q6_K.gguf (scripts/compare_llamacpp.sh makes them); ISA is
# llmrun's --cpu-isa (default auto), to set against a llama.cpp build for the same ISA.
set -euo pipefail

llama_bin="" gguf_dir="" model="" llmeval="build/bin/llmeval" isa="auto" pairs=8 threads=2
usage="usage: $0 -b LLAMA_BIN_DIR -g GGUF_DIR -m LLMRUN_MODEL [-e LLMEVAL] [-i ISA] [-n PAIRS] [-t THREADS]"
while getopts "b:g:m:e:i:n:t:" opt; do
  case $opt in
    b) llama_bin=$OPTARG ;;
    g) gguf_dir=$OPTARG ;;
    m) model=$OPTARG ;;
    e) llmeval=$OPTARG ;;
    i) isa=$OPTARG ;;
    n) pairs=$OPTARG ;;
    t) threads=$OPTARG ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
[ -n "$llama_bin" ] && [ -n "$gguf_dir" ] && [ -n "$model" ] || { echo "$0: -b, -g and -m are required" >&2; exit 2; }
[[ "$pairs" =~ ^[1-9][0-9]*$ ]] || { echo "$0: -n $pairs: not a positive count" >&2; exit 2; }
for f in Q8_0 Q6_K; do
  [ -f "$gguf_dir/$f.gguf" ] || { echo "$0: $gguf_dir/$f.gguf: not found" >&2; exit 1; }
done
[ -x "$llama_bin/llama-bench" ] || { echo "$0: $llama_bin/llama-bench: not found" >&2; exit 1; }
[ -x "$llmeval" ] || { echo "$0: $llmeval: not found (build first)" >&2; exit 1; }

precisions="mixed:attn=int8,mlp=int8,embed=int8,mixed:attn=fp6,mlp=fp6,embed=fp6"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for i in $(seq 1 "$pairs"); do
  echo "== pair $i $(date +%T)"
  # "llama Q8_0 <tok/s>" and "llama Q6_K <tok/s>"
  "$llama_bin/llama-bench" -m "$gguf_dir/Q8_0.gguf" -m "$gguf_dir/Q6_K.gguf" -p 0 -n 64 -t "$threads" -r 2 \
      2>/dev/null | grep tg64 | awk -F'|' -v p="$i" '{split($2, a, " "); split($8, s, " "); print p, "llama", a[3], s[1]}' |
    tee -a "$log"
  # "llmrun int8 <tok/s>" and "llmrun fp6 <tok/s>" (the median of 2 repetitions)
  "$llmeval" bench -m "$model" --precisions "$precisions" --threads "$threads" --prompt-len 16 --gen-len 64 \
      --reps 2 --cpu-isa "$isa" 2>/dev/null | grep -E "^\| mixed" |
    awk -F'|' -v p="$i" '{split($2, f, "[=,]"); split($4, s, " "); print p, "llmrun", f[2], s[1]}' | tee -a "$log"
done
echo "== summary: $pairs pairs, $threads threads, llmrun --cpu-isa $isa"
awk '
  function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } }
  function median(a, n) { sort(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  function line(name, a, n,   m) { m = median(a, n); printf "%-28s median %7.2f  min %7.2f  max %7.2f  (n = %d)\n", name, m, a[1], a[n], n }
  { v[$1, $2, $3] = $4 }
  END {
    split("Q8_0:int8 Q6_K:fp6", cmp, " ")
    for (c = 1; c <= 2; c++) {
      split(cmp[c], q, ":"); nl = nr = nq = 0
      for (p = 1; p <= '"$pairs"'; p++) {
        if ((p, "llama", q[1]) in v) l[++nl] = v[p, "llama", q[1]]
        if ((p, "llmrun", q[2]) in v) r[++nr] = v[p, "llmrun", q[2]]
        if ((p, "llama", q[1]) in v && (p, "llmrun", q[2]) in v) x[++nq] = v[p, "llmrun", q[2]] / v[p, "llama", q[1]]
      }
      if (nl) line("llama.cpp " q[1] " tok/s", l, nl)
      if (nr) line("llmrun " q[2] " +emb tok/s", r, nr)
      if (nq) line("ratio " q[2] " / " q[1], x, nq)
      delete l; delete r; delete x
    }
  }' "$log"
