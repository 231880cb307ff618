#!/bin/bash
# Speed rounds against llama.cpp on one machine, back to back, so both sides see the same
# drift: llama-bench on GGUF files (F16, Q8_0, Q6_K) and `llmeval bench` on the same
# weights (fp16, int8 / fp6 with the embedding quantized as llama.cpp does), prefill of 512
# tokens and decode of 64. Optionally a second llama.cpp build (e.g. without AVX-512)
# against `--cpu-isa ISA` of llmrun.
#
# usage: scripts/speed_round_llamacpp.sh -b LLAMA_BIN_DIR -g GGUF_DIR -m LLMRUN_MODEL
#          [-e LLMEVAL] [-t THREADS] [-r ROUNDS] [-B LLAMA_BIN_DIR2 -i ISA]
# GGUF_DIR holds F16.gguf, Q8_0.gguf and Q6_K.gguf (scripts/compare_llamacpp.sh makes them).
set -euo pipefail

llama_bin="" gguf_dir="" model="" llmeval="build/bin/llmeval" threads=2 rounds=2 llama_bin2="" isa2=""
while getopts "b:g:m:e:t:r:B:i:" opt; do
  case $opt in
    b) llama_bin=$OPTARG ;;
    g) gguf_dir=$OPTARG ;;
    m) model=$OPTARG ;;
    e) llmeval=$OPTARG ;;
    t) threads=$OPTARG ;;
    r) rounds=$OPTARG ;;
    B) llama_bin2=$OPTARG ;;
    i) isa2=$OPTARG ;;
    *) echo "usage: $0 -b LLAMA_BIN_DIR -g GGUF_DIR -m LLMRUN_MODEL [-e LLMEVAL] [-t THREADS] [-r ROUNDS] [-B LLAMA_BIN_DIR2 -i ISA]" >&2
       exit 2 ;;
  esac
done
[ -n "$llama_bin" ] && [ -n "$gguf_dir" ] && [ -n "$model" ] || { echo "$0: -b, -g and -m are required" >&2; exit 2; }
if { [ -n "$llama_bin2" ] && [ -z "$isa2" ]; } || { [ -z "$llama_bin2" ] && [ -n "$isa2" ]; }; then
  echo "$0: -B and -i go together" >&2
  exit 2
fi
for f in F16 Q8_0 Q6_K; do
  [ -f "$gguf_dir/$f.gguf" ] || { echo "$0: $gguf_dir/$f.gguf: not found" >&2; exit 1; }
done
for b in "$llama_bin" ${llama_bin2:+"$llama_bin2"}; do
  [ -x "$b/llama-bench" ] || { echo "$0: $b/llama-bench: not found" >&2; exit 1; }
done
[ -x "$llmeval" ] || { echo "$0: $llmeval: not found (build first)" >&2; exit 1; }

precisions="fp16,mixed:attn=int8,mlp=int8,embed=int8,mixed:attn=fp6,mlp=fp6,embed=fp6"
llama() {  # bin dir
  "$1/llama-bench" -m "$gguf_dir/F16.gguf" -m "$gguf_dir/Q8_0.gguf" -m "$gguf_dir/Q6_K.gguf" \
    -p 512 -n 64 -t "$threads" -r 3 2>/dev/null | grep -E "pp512|tg64" | awk -F'|' '{print $2, $7, $8}'
}
ours() {  # extra llmeval args...
  echo "-- llmrun prefill 512 tok/s $*"
  "$llmeval" bench -m "$model" --precisions "$precisions" --threads "$threads" --prompt-len 512 --gen-len 1 \
    --reps 3 "$@" 2>/dev/null | grep -E "^\| (fp16|mixed)" | cut -d'|' -f2,3
  echo "-- llmrun decode 64 tok/s $*"
  "$llmeval" bench -m "$model" --precisions "$precisions" --threads "$threads" --prompt-len 16 --gen-len 64 \
    --reps 3 "$@" 2>/dev/null | grep -E "^\| (fp16|mixed)" | cut -d'|' -f2,4
}
for round in $(seq 1 "$rounds"); do
  echo "== round $round $(date +%T)"
  echo "-- llama.cpp $llama_bin"
  llama "$llama_bin"
  ours
  if [ -n "$llama_bin2" ]; then
    echo "-- llama.cpp $llama_bin2"
    llama "$llama_bin2"
    ours --cpu-isa "$isa2"
  fi
done
