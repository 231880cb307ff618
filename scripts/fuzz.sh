#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, clang, ASan + UBSan) and runs each for SECONDS
# (default 25, what CI spends; pass hours for a local run: 14400). Seeds come from the
# fixtures (scripts/fuzz_corpus.py); the corpus each run grows is kept in
# build-fuzz/corpus-work/<harness> and reused by the next run. Saved findings
# (fuzz/regressions/<harness>/*) are replayed first. A crash, leak, sanitizer report,
# timeout or out-of-memory leaves its input in build-fuzz/artifacts/<harness>/ and makes
# the script exit 1; copy it to fuzz/regressions/<harness>/ once the parser is fixed.
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]      e.g. scripts/fuzz.sh 3600 config gguf
# Environment: FUZZ_BUILD_DIR (build-fuzz), LLMRUN_FIXTURES (../shared/fixtures),
#              JOBS (build parallelism, 2), FUZZ_RSS_MB (2048: a larger allocation is a finding),
#              FUZZ_RUNS (stop a harness after this many executions, if before SECONDS).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-25}
shift || true
build=${FUZZ_BUILD_DIR:-build-fuzz}
fixtures=${LLMRUN_FIXTURES:-$PWD/../shared/fixtures}
rss_mb=${FUZZ_RSS_MB:-2048}
all=(safetensors safetensors_index gguf tokenizer_json tokenizer_model config generation_config
     tokenizer_config quantized_checkpoint lambada precision_plan importance_matrix)
if [[ $# -gt 0 ]]; then harnesses=("$@"); else harnesses=("${all[@]}"); fi
# Files that are JSON (or hold a JSON header) also get the JSON dictionary.
json_harnesses=" safetensors safetensors_index tokenizer_json config generation_config tokenizer_config quantized_checkpoint lambada precision_plan importance_matrix "

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (libFuzzer needs clang)" >&2; exit 1; }
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DLLMRUN_CUDA=OFF -DLLMRUN_FUZZ=ON -DLLMRUN_WERROR=ON \
    -DLLMRUN_FIXTURES="$fixtures" >/dev/null
fi
cmake --build "$build" -j"${JOBS:-2}" --target fuzz_all
python3 scripts/fuzz_corpus.py --fixtures "$fixtures" --out "$build/corpus-seed" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
summary=()
for h in "${harnesses[@]}"; do
  bin=$build/fuzz/fuzz_$h
  [[ -x $bin ]] || { echo "fuzz.sh: unknown harness $h (have: ${all[*]})" >&2; exit 2; }
  work=$build/corpus-work/$h art=$build/artifacts/$h dict=$build/dicts/$h.dict log=$build/logs/$h.log
  mkdir -p "$work" "$art" "$build/dicts" "$build/logs"
  cat fuzz/dicts/"$h".dict > "$dict"
  [[ $json_harnesses == *" $h "* ]] && cat fuzz/dicts/json.dict >> "$dict"

  # Saved findings first: each must now give a clean error.
  regressions=(fuzz/regressions/"$h"/*)
  if [[ -e ${regressions[0]} ]]; then
    if ! "$bin" -rss_limit_mb="$rss_mb" -timeout=30 "${regressions[@]}" >"$log.regressions" 2>&1; then
      echo "fuzz.sh: $h: a saved regression input fails again (see $log.regressions)" >&2
      status=1
    fi
  fi

  rc=0
  "$bin" "$work" "$build/corpus-seed/$h" -dict="$dict" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb="$rss_mb" -malloc_limit_mb="$rss_mb" -artifact_prefix="$art/" -print_final_stats=1 \
    -close_fd_mask=1 ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  findings=$(find "$art" -type f | wc -l)
  if [[ $rc -ne 0 ]]; then
    status=1
    echo "fuzz.sh: $h: exit $rc; last lines of $log:" >&2
    grep -E "ERROR|runtime error|SUMMARY|terminate|what\(\)|Test unit written" "$log" | head -8 >&2 || true
  fi
  summary+=("$(printf '%-22s %12s %7s %9s %5s' "$h" "${execs:-?}" "${cov:-?}" "$findings" "$rc")")
done
printf '%-22s %12s %7s %9s %5s\n' harness executions cov artifacts exit
printf '%s\n' "${summary[@]}"
exit $status
