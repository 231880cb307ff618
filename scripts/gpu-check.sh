#!/usr/bin/env bash
# The GPU check (docs/GPU_CHECK.md): on a machine with an NVIDIA GPU and no package
# registry, from the folder scripts/gpu-bundle.sh built, in one command and under 8 minutes:
# the GPU, its driver and measured ceilings, then stages, each under its own time limit and
# each recorded even when it fails or times out (a failing stage never stops the others):
#   conformance   every bundled CUDA test binary (not the *_host twins, which run on the CPU)
#   greedy        llmrun --device cuda vs --device cpu on stories260k, 64 greedy ids,
#                 checkpoint dtype and fp16
#   logits        llmeval logits on the tiny HF golden models, CUDA vs CPU
#   memcheck      compute-sanitizer --tool memcheck on a short generation
#   racecheck     compute-sanitizer --tool racecheck on the same
#   bench         llmeval bench --device cuda per precision on a Qwen3-4B-shaped random bf16
#                 model generated here (decode at context 128 and 4096, prefill 512)
#   sampling      llmrun --stats with top-k 20 / top-p 0.95 sampling vs greedy on that model
#   peer          HF transformers bf16 generate() on the same weights
# It ends with one Markdown table (check, result, figure, target) on stdout and in
# $OUT/summary.md, beside results.json and logs.tar.gz.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: gpu-check.sh [--out DIR] [--budget SECONDS] [--bundle DIR] [--only STAGES] [--build-from-source]

Runs the GPU check from a bundle built by scripts/gpu-bundle.sh (docs/GPU_CHECK.md).

  --out DIR            results.json, summary.md and logs.tar.gz go here (default: $OUT when
                       set, else ./gpu-check-out)
  --budget SECONDS     wall-clock budget for everything (default 470); each stage's limit
                       is cut to what is left, and a stage with no time left is recorded as
                       skipped
  --bundle DIR         the bundle (default: the folder this script sits in, or gpu-bundle/
                       beside it when run from the repository)
  --only STAGES        comma-separated subset: ceilings,conformance,greedy,logits,memcheck,
                       racecheck,bench,sampling,peer (default: all)
  --build-from-source  build llmrun here from the bundle's source and .deb files
                       (gpu-bundle.sh --source) instead of using the carried binaries; done
                       anyway when those do not start
  -h, --help           this text

Without a GPU it says so in one line and exits 3. Exit 0 once the table is written (the
table says what passed); 2 for bad arguments; 1 when no table could be made.
EOF
}

arg_error() { echo "gpu-check: error: $*" >&2; exit 2; }

out_dir=${OUT:-./gpu-check-out}
budget=470
bundle=""
only=""
from_source=0
all_stages="ceilings conformance greedy logits memcheck racecheck bench sampling peer"
while (($#)); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --out|--budget|--bundle|--only)
      (($# >= 2)) || arg_error "$1 needs a value (see --help)"
      case "$1" in
        --out) out_dir=$2 ;; --budget) budget=$2 ;; --bundle) bundle=$2 ;; --only) only=$2 ;;
      esac
      shift 2 ;;
    --build-from-source) from_source=1; shift ;;
    *) arg_error "unknown option '$1' (see --help)" ;;
  esac
done
[[ $budget =~ ^[1-9][0-9]*$ ]] || arg_error "--budget must be a positive number of seconds"
if [ -n "$only" ]; then
  for s in ${only//,/ }; do
    [[ " $all_stages " == *" $s "* ]] || arg_error "--only: unknown stage '$s' (valid: ${all_stages// /,})"
  done
fi
wanted() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

# No GPU: one line, exit 3.
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpu-check: no GPU here (nvidia-smi not found); run it on a machine with an NVIDIA GPU" >&2
  exit 3
fi
gpu_csv=""
if ! gpu_csv=$(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader,nounits 2>&1) ||
   [ -z "$gpu_csv" ]; then
  echo "gpu-check: no GPU here (nvidia-smi: $(head -1 <<<"${gpu_csv:-no output}"))" >&2
  exit 3
fi

# The bundle.
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "$bundle" ]; then
  if [ -f "$script_dir/../MANIFEST.txt" ]; then bundle=$script_dir/..
  elif [ -f "$script_dir/../gpu-bundle/MANIFEST.txt" ]; then bundle=$script_dir/../gpu-bundle
  else arg_error "no bundle beside this script: build one with scripts/gpu-bundle.sh, or pass --bundle DIR"
  fi
fi
[ -f "$bundle/MANIFEST.txt" ] || arg_error "--bundle $bundle: not a bundle (no MANIFEST.txt)"
B=$(cd "$bundle" && pwd)
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
work=$(mktemp -d /tmp/llmrun-gpu-check.XXXXXX)
mkdir -p "$work"/{stages,logs,conformance,greedy,logits,bench}
t0=$(date +%s)
reserve=20  # seconds kept for the report at the end
say() { echo "gpu-check: [$(($(date +%s) - t0))s] $*" >&2; }

# CUDA: the toolkit's bin (compute-sanitizer) and lib64 (cuBLAS), then torch's wheels.
cuda_home=/usr/local/cuda
command -v nvcc >/dev/null 2>&1 && cuda_home=$(cd "$(dirname "$(command -v nvcc)")/.." && pwd)
export PATH="$cuda_home/bin:$PATH"
lib_path="$cuda_home/lib64"
if command -v python3 >/dev/null 2>&1; then
  while IFS= read -r site; do
    for d in "$site"/nvidia/cublas/lib "$site"/nvidia/cu13/lib; do
      [ -d "$d" ] && lib_path="$lib_path:$d"
    done
  done < <(python3 -c 'import site, sys; print("\n".join(site.getsitepackages() + [p for p in sys.path if p.endswith("-packages")]))' 2>/dev/null | sort -u)
fi
export LD_LIBRARY_PATH="$lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The executables and their libraries travel as payload.tar.xz (scripts/gpu-bundle.sh);
# unpacked here (tar with xz, else Python's tarfile). A bundle already unpacked is used as is.
P=$B
if [ -f "$B/payload.tar.xz" ]; then
  P=$(mktemp -d /tmp/llmrun-gpu-check-payload.XXXXXX)
  if command -v xz >/dev/null 2>&1; then
    tar -xJf "$B/payload.tar.xz" -C "$P" || say "cannot unpack $B/payload.tar.xz"
  else
    python3 -c 'import sys, tarfile
t = tarfile.open(sys.argv[1])
try:
    t.extractall(sys.argv[2], filter="tar")
except TypeError:
    t.extractall(sys.argv[2])' "$B/payload.tar.xz" "$P" || say "cannot unpack $B/payload.tar.xz"
  fi
fi
BIN=$P/bin
TESTS=$P/tests/cuda
MODEL260K=$B/fixtures/models/stories260k
RANDOM_MODEL=/tmp/llmrun-gpu-check-model/qwen3-4b
export LLMRUN_FIXTURES=$B/fixtures LLMRUN_TEST_DATA=$B/test-data LLMRUN_BIN_DIR=$BIN CI=true

# ---------------------------------------------------------------------------------------
# Stages. run_stage NAME KIND LIMIT EXTRA_JSON CMD... runs CMD under timeout with its
# output in logs/NAME.log (stdout to $stage_stdout instead when set) and writes
# stages/NNN.json; the limit is cut to what is left of the budget.
stage_no=0
record() {  # record NAME KIND RC SECONDS LIMIT TIMED_OUT LOG EXTRA_JSON [SKIPPED_REASON]
  stage_no=$((stage_no + 1))
  local skipped=""
  [ -n "${9:-}" ] && skipped=", \"skipped\": \"$9\""
  printf '{"name": "%s", "kind": "%s", "rc": %d, "seconds": %s, "limit_s": %d, "timed_out": %s, "log": "%s"%s%s}\n' \
    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$skipped" >"$(printf '%s/stages/%03d.json' "$work" "$stage_no")"
}
stage_stdout=""
run_stage() {
  local name=$1 kind=$2 limit=$3 extra=$4
  shift 4
  local log="logs/${name//\//_}.log"
  local left=$((budget - ($(date +%s) - t0) - reserve))
  if ((left < 5)); then
    record "$name" "$kind" -1 0 0 false "$log" "$extra" "no time left in the $budget s budget"
    say "$name: skipped (no time left)"
    return 1
  fi
  ((limit > left)) && limit=$left
  local start rc=0 seconds timed_out=false
  start=$(date +%s.%N)
  if [ -n "$stage_stdout" ]; then
    timeout -k 10 "$limit" "$@" >"$work/$stage_stdout" 2>"$work/$log" || rc=$?
  else
    timeout -k 10 "$limit" "$@" >"$work/$log" 2>&1 || rc=$?
  fi
  seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  ((rc == 124 || rc == 137)) && timed_out=true
  record "$name" "$kind" "$rc" "$seconds" "$limit" "$timed_out" "$log" "$extra"
  say "$name: $([ "$timed_out" = true ] && echo "timed out after ${limit} s" || echo "rc $rc in ${seconds} s")"
  return "$rc"
}
skip_stage() {  # skip_stage NAME KIND EXTRA_JSON REASON
  record "$1" "$2" -1 0 0 false "logs/${1//\//_}.log" "$3" "$4"
  say "$1: skipped ($4)"
}

# The report: collect, table, tar. Runs once, also when the script stops early.
finished=0
finish() {
  ((finished)) && return
  finished=1
  local elapsed=$(($(date +%s) - t0))
  echo "elapsed_s=$elapsed" >>"$work/env.txt"
  if ! { "$BIN/gpu_check_report" collect "$work" --out "$out_dir/results.json" 2>"$work/logs/report.log" &&
         "$BIN/gpu_check_report" table "$out_dir/results.json" --out "$out_dir/summary.md" >/dev/null \
           2>>"$work/logs/report.log"; }; then
    # Without the report tool: the stages and their exit codes, still one table.
    {
      echo "| check | result | figure | target |"
      echo "|---|---|---|---|"
      echo "| report | fail | gpu_check_report did not run: $(tail -1 "$work/logs/report.log" 2>/dev/null | tr '|' '/') | — |"
      for f in "$work"/stages/*.json; do
        [ -f "$f" ] || continue
        sed -E 's/.*"name": "([^"]*)".*"rc": (-?[0-9]+), "seconds": ([0-9.]+).*"timed_out": (true|false).*/| \1 | rc \2 | \3 s, timed out: \4 | — |/' "$f"
      done
    } >"$out_dir/summary.md"
  fi
  # Logs over 4 MiB keep their last 4 MiB.
  find "$work/logs" -type f -size +4M -exec sh -c 'tail -c 4194304 "$1" >"$1.tail" && mv "$1.tail" "$1"' _ {} \;
  tar -czf "$out_dir/logs.tar.gz" -C "$work" . 2>/dev/null || true
  rm -rf "$work"
  [ "$P" = "$B" ] || rm -rf "$P"
  say "done in ${elapsed} s: $out_dir/{results.json,summary.md,logs.tar.gz}"
  cat "$out_dir/summary.md"
}
trap finish EXIT
trap 'exit 130' INT TERM

IFS=, read -r gpu_name driver mem_total cap <<<"$(head -1 <<<"$gpu_csv")"
trim() { sed 's/^ *//; s/ *$//' <<<"$1"; }
{
  echo "gpu_name=$(trim "$gpu_name")"
  echo "driver=$(trim "$driver")"
  echo "memory_total_mib=$(trim "$mem_total")"
  echo "compute_cap=$(trim "$cap")"
  echo "budget_s=$budget"
  echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "bundle=$(sed -n 's/^commit: //p' "$B/MANIFEST.txt")"
  echo "ld_library_path=$LD_LIBRARY_PATH"
} >"$work/env.txt"
echo "gpu-check: GPU $(trim "$gpu_name"), driver $(trim "$driver"), $(trim "$mem_total") MiB, compute capability $(trim "$cap")"
echo "gpu-check: bundle $(sed -n 's/^commit: //p' "$B/MANIFEST.txt") at $B$(sed -n 's/^needs from the machine: /; needs /p' "$B/MANIFEST.txt")"

# The carried binaries must start here; otherwise build from the bundle's source.
starts() { "$BIN/llmrun" --version >/dev/null 2>&1 && "$BIN/gpu_check_report" --help >/dev/null 2>&1; }
if ((from_source)) || ! starts; then
  ((from_source)) || say "the carried binaries do not start here: $("$BIN/llmrun" --version 2>&1 | head -1)"
  if [ -f "$B/src/llmrun-src.tar.gz" ]; then
    arch=$(trim "$cap" | tr -d .)
    [ "$arch" = 90 ] && arch=90a
    run_stage build_from_source build 420 "" bash "$B/scripts/gpu_check/build_from_source.sh" \
      --src "$B/src/llmrun-src.tar.gz" --debs "$B/src/debs" --work /tmp/llmrun-gpu-check-src --archs "$arch" || true
    build=/tmp/llmrun-gpu-check-src/build
    if [ -x "$build/bin/llmrun" ]; then
      BIN=$build/bin
      TESTS=$build/tests/cuda
      export LLMRUN_BIN_DIR=$BIN
      export LD_LIBRARY_PATH="/tmp/llmrun-gpu-check-src/prefix/usr/lib/x86_64-linux-gnu:/tmp/llmrun-gpu-check-src/prefix/lib/x86_64-linux-gnu:$LD_LIBRARY_PATH"
      cp "$build/bench/bench_gpu_ceilings" "$BIN/" 2>/dev/null || true
    fi
  else
    say "no source in the bundle (build it with scripts/gpu-bundle.sh --source): the stages will fail"
  fi
fi

# The random Qwen3-4B-shaped model (8 GB of bf16) is written in the background while the
# first stages run; reused when a previous run completed it.
random_pid=""
if wanted bench || wanted sampling || wanted peer; then
  if [ -f "$RANDOM_MODEL/.complete" ]; then
    record random_model random_model 0 0 0 false logs/random_model.log ", \"model_dir\": \"$RANDOM_MODEL\""
  else
    rm -rf "$RANDOM_MODEL"
    stage_no=$((stage_no + 1))
    random_record=$stage_no
    (
      stage_no=$((random_record - 1))
      run_stage random_model random_model 300 ", \"model_dir\": \"$RANDOM_MODEL\"" \
        "$BIN/llmeval" random-model --shape qwen3-4b --out "$RANDOM_MODEL" --seed 1 && touch "$RANDOM_MODEL/.complete"
    ) &
    random_pid=$!
  fi
fi

# Ceilings (printed as soon as they are known).
if wanted ceilings; then
  if ! run_stage ceilings ceilings 90 ', "output": "ceilings.json", "source": "bench_gpu_ceilings"' \
       "$BIN/bench_gpu_ceilings" --out "$work/ceilings.json"; then
    run_stage ceilings/torch ceilings 90 ', "output": "ceilings.json", "source": "torch"' \
      python3 "$B/scripts/gpu_check/hf_peer_bench.py" ceilings --out "$work/ceilings.json" || true
  fi
  [ -f "$work/ceilings.json" ] && echo "gpu-check: ceilings $(tr -d '\n' <"$work/ceilings.json")"
fi

# (1) Conformance: every CUDA test binary, 180 s for all of them together. The *_host
# binaries are the same tests on the CPU harness (CI runs them; here their *_gpu twins run
# on the device), so they are left out.
if wanted conformance; then
  conformance_end=$(($(date +%s) + 180))
  for t in "$TESTS"/*; do
    if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
    name=$(basename "$t")
    [[ $name == *_host ]] && continue
    run_stage "conformance/$name" conformance $((conformance_end - $(date +%s))) \
      ", \"binary\": \"$name\", \"output\": \"conformance/$name.json\"" \
      "$t" --gtest_output="json:$work/conformance/$name.json" --gtest_brief=1 || true
  done
fi

# (3) Whole model, CUDA vs CPU: 64 greedy ids on stories260k at the checkpoint dtype (fp32)
# and fp16; logits of the tiny HF golden models.
if wanted greedy; then
  for precision in auto fp16; do
    for device in cpu cuda; do
      stage_stdout="greedy/${precision}_$device.ids"
      run_stage "greedy/$precision/$device" greedy 60 \
        ", \"precision\": \"$precision\", \"device\": \"$device\", \"tokens\": 64, \"output\": \"$stage_stdout\"" \
        "$BIN/llmrun" --model "$MODEL260K" --device "$device" --precision "$precision" --prompt-ids 1 -n 64 --temp 0 || true
      stage_stdout=""
    done
  done
fi
if wanted logits; then
  for model in qwen3-tiny llama-tiny qwen2-tiny; do
    for device in cpu cuda; do
      run_stage "logits/$model/$device" logits 60 \
        ", \"model\": \"$model\", \"device\": \"$device\", \"output\": \"logits/${model}_$device.f32\"" \
        "$BIN/llmeval" logits --model "$B/test-data/models/$model" --device "$device" \
        --ids 1,17,42,99,123,7,250,31,5,200,64,3 --out "$work/logits/${model}_$device.f32" || true
    done
  done
fi

# (2) compute-sanitizer on a short generation.
sanitizer=$(command -v compute-sanitizer 2>/dev/null || true)
for candidate in "$cuda_home/compute-sanitizer/compute-sanitizer" /usr/local/cuda/compute-sanitizer/compute-sanitizer \
                 /opt/nvidia/*/compute-sanitizer /opt/nvidia/*/*/compute-sanitizer; do
  [ -z "$sanitizer" ] && [ -x "$candidate" ] && sanitizer=$candidate
done
for tool in memcheck racecheck; do
  wanted "$tool" || continue
  if [ -z "$sanitizer" ]; then
    skip_stage "$tool" sanitizer ", \"tool\": \"$tool\"" "compute-sanitizer not found"
    continue
  fi
  extra_flags=() limit=150
  [ "$tool" = memcheck ] && extra_flags=(--leak-check full) limit=120
  run_stage "$tool" sanitizer "$limit" ", \"tool\": \"$tool\"" \
    "$sanitizer" --tool "$tool" "${extra_flags[@]}" --error-exitcode 1 \
    "$BIN/llmrun" --model "$MODEL260K" --device cuda --prompt-ids 1 -n 16 --temp 0 || true
done

if [ -n "$random_pid" ]; then
  say "waiting for the random Qwen3-4B-shaped model"
  wait "$random_pid" || true
fi
have_model=0
[ -f "$RANDOM_MODEL/.complete" ] && have_model=1

# (4) The benchmark: one llmeval run per (precision, context) so a failing precision
# costs only its own rows; GPU memory sampled by nvidia-smi while each runs. A precision
# that fails at context 128 is not retried at longer ones.
peer_reserve=0
wanted peer && peer_reserve=150
declare -A failed_precision=()
bench_run() {  # bench_run LABEL SPEC PROMPT_LEN GEN_LEN
  local label=$1 spec=$2 prompt_len=$3 gen_len=$4
  local name="bench/$label/$prompt_len" dir="bench/${label}_$prompt_len"
  local extra=", \"label\": \"$label\", \"precision\": \"$spec\", \"prompt_len\": $prompt_len, \"gen_len\": $gen_len, \"output\": \"$dir/results.json\", \"gpu_memory\": \"$dir.mem\""
  if ((!have_model)); then skip_stage "$name" bench "$extra" "no random model"; return; fi
  if [ -n "${failed_precision[$label]:-}" ]; then skip_stage "$name" bench "$extra" "failed at context 128"; return; fi
  if (($(date +%s) - t0 + reserve + peer_reserve + 20 > budget)); then
    skip_stage "$name" bench "$extra" "no time left before the peer row"; return
  fi
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 >"$work/$dir.mem" 2>/dev/null || true
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 -lms 200 >>"$work/$dir.mem" 2>/dev/null &
  local poller=$! rc=0
  local limit=$((budget - ($(date +%s) - t0) - reserve - peer_reserve))
  ((limit > 120)) && limit=120
  run_stage "$name" bench "$limit" "$extra" "$BIN/llmeval" bench --model "$RANDOM_MODEL" --device cuda \
    --baseline "$spec" --precisions "$spec" --prompt-len "$prompt_len" --gen-len "$gen_len" --reps 3 \
    --out "$work/$dir" || rc=$?
  kill "$poller" 2>/dev/null || true
  wait "$poller" 2>/dev/null || true
  ((rc != 0 && rc != 124 && rc != 137 && prompt_len == 128)) && failed_precision[$label]=1
  return 0
}
if wanted bench; then
  # int8 / fp8 / fp6 are the group-scaled formats (issue 12); the per-row ones they
  # replaced last, for the cost of the group scales.
  for p in fp16 int8+head fp8+head fp6+head int8 fp8 fp6 int8-row fp6-e2m3; do
    f=${p%+head}
    spec=$f
    [ "$p" != "$f" ] && spec="mixed:attn=$f,mlp=$f,embed=$f,lm_head=$f"
    bench_run "$p" "$spec" 128 128
  done
  for p in fp16 int8 fp8 fp6; do bench_run "$p" "$p" 512 8; done
  for p in fp16 int8 fp8 fp6; do bench_run "$p" "$p" 4096 128; done
fi

# Sampling cost per token: llmrun --stats decode speed with top-k 20 / top-p 0.95 sampling
# minus greedy, on the 151,936-token vocabulary.
if wanted sampling; then
  for mode in greedy sampled; do
    if ((!have_model)); then skip_stage "sampling/$mode" sampling ", \"mode\": \"$mode\"" "no random model"; continue; fi
    sampling_flags=(--temp 0)
    [ "$mode" = sampled ] && sampling_flags=(--temp 0.7 --top-k 20 --top-p 0.95 --seed 1)
    stage_stdout="logs/sampling_$mode.ids"
    run_stage "sampling/$mode" sampling 60 ", \"mode\": \"$mode\"" "$BIN/llmrun" --model "$RANDOM_MODEL" \
      --device cuda --precision fp16 --ctx 512 --prompt-ids 1 -n 256 --stats "${sampling_flags[@]}" || true
    stage_stdout=""
  done
fi

# The peer row: HF transformers bf16 on the same weights.
if wanted peer; then
  if ((have_model)); then
    run_stage peer peer 150 ', "output": "peer.json"' python3 "$B/scripts/gpu_check/hf_peer_bench.py" generate \
      --model "$RANDOM_MODEL" --out "$work/peer.json" --prompt-len 128 --gen-len 128 --prefill-len 512 || true
  else
    skip_stage peer peer ', "output": "peer.json"' "no random model"
  fi
fi

finish
