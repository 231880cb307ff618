#!/usr/bin/env bash
# Builds the GPU check kit here (no GPU needed) and proves it is complete: one folder with
# the binaries the check runs, every non-system shared library they load, the fixtures
# and the scripts, which scripts/gpu-check.sh then runs on a GPU machine that has no
# package registry (docs/GPU_CHECK.md).
#
#   scripts/gpu-bundle.sh                      configure + build (Release, CUDA sm_90a, static
#                                              CUDA runtime) into build-gpu-bundle/, then assemble
#                                              and self-check gpu-bundle/
#   scripts/gpu-bundle.sh --source             the same, plus the source tree and the build
#                                              dependencies as .deb files (gpu-check.sh
#                                              --build-from-source builds from them there)
#   scripts/gpu-bundle.sh --build-dir build --check-only
#                                              reuse an existing build (no configure, no
#                                              build): assemble + self-check only (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

die() { echo "gpu-bundle: error: $*" >&2; exit 1; }
note() { echo "gpu-bundle: $*" >&2; }

usage() {
  cat <<'EOF'
usage: scripts/gpu-bundle.sh [--build-dir DIR] [--out DIR] [--check-only] [--source] [--test-timeout S]
                             [--test-shards N]

Builds and assembles the GPU check kit, then proves here that every binary in it finds
its libraries inside the folder (or on the GPU machine's system) and that the CPU tests
pass when run from it under `env -i`.

  --build-dir DIR    build folder (default $GPU_BUNDLE_BUILD_DIR, else build-gpu-bundle)
  --out DIR          the bundle folder, replaced (default $GPU_BUNDLE_DIR, else gpu-bundle)
  --check-only       reuse DIR's existing build: no configure, no build (CI uses
                     --build-dir build --check-only)
  --source           also pack the source tree and the build dependencies as .deb files
                     (apt-get download) for gpu-check.sh --build-from-source; proves here
                     that they unpack into a prefix and configure
  --test-timeout S   limit for each bundled test binary in the self-check (default 120)
  --test-shards N    run one of N gtest shards of each bundled test binary (default 1:
                     all tests); CI, which has just run them all from the build tree,
                     passes 4: the self-check proves they run from the bundle
  -h, --help         this text

Environment: JOBS (parallel build jobs, default nproc), LLMRUN_FIXTURES (default
../shared/fixtures). The bundle must stay under 60 MiB; the size is printed.
EOF
}

build_dir=${GPU_BUNDLE_BUILD_DIR:-build-gpu-bundle}
bundle=${GPU_BUNDLE_DIR:-gpu-bundle}
check_only=0
with_source=0
test_timeout=120
test_shards=1
while (($#)); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --build-dir|--out|--test-timeout|--test-shards)
      (($# >= 2)) || { echo "gpu-bundle: error: $1 needs a value (see --help)" >&2; exit 2; }
      case "$1" in
        --build-dir) build_dir=$2 ;;
        --out) bundle=$2 ;;
        --test-timeout) test_timeout=$2 ;;
        --test-shards) test_shards=$2 ;;
      esac
      shift 2 ;;
    --check-only) check_only=1; shift ;;
    --source) with_source=1; shift ;;
    *) echo "gpu-bundle: error: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ $test_timeout =~ ^[1-9][0-9]*$ ]] || { echo "gpu-bundle: error: --test-timeout must be a positive number of seconds" >&2; exit 2; }
[[ $test_shards =~ ^[1-9][0-9]*$ ]] || { echo "gpu-bundle: error: --test-shards must be a positive number" >&2; exit 2; }
case "$bundle" in ''|/|.|..|"$repo") die "--out $bundle: refusing to replace that folder" ;; esac
# Only an earlier bundle (or an empty folder) is replaced.
if [ -d "$bundle" ] && [ ! -f "$bundle/MANIFEST.txt" ] && [ -n "$(ls -A "$bundle")" ]; then
  die "--out $bundle: exists and is not a bundle (no MANIFEST.txt); refusing to replace it"
fi

max_mib=60
fixtures=${LLMRUN_FIXTURES:-../shared/fixtures}
[ -d "$fixtures/models/stories260k" ] || die "fixtures not found: $fixtures/models/stories260k (set LLMRUN_FIXTURES)"
fixtures=$(cd "$fixtures" && pwd)

if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi

apt_install() {
  local sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  note "installing $*"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
command -v patchelf >/dev/null 2>&1 || apt_install patchelf
command -v xz >/dev/null 2>&1 || apt_install xz-utils

# ---------------------------------------------------------------------------------------
# 1. Configure and build (skipped with --check-only).
# The CUDA runtime is linked statically so the bundle does not depend on the machine's
# libcudart: CMAKE_CUDA_RUNTIME_LIBRARY=Static covers targets that nvcc links, and
# kernels/cuda links CUDA::cudart by name, so CUDA_cudart_LIBRARY (the cache variable
# FindCUDAToolkit makes CUDA::cudart from) points at libcudart_static.a. glibc >= 2.34
# holds libdl/librt/libpthread, which the static runtime needs. cuBLAS/cuBLASLt stay
# shared: they come from the GPU machine's toolkit (or torch's wheels) at run time.
# sm_90a: CMake 3.25 passes "90a" through to nvcc 13 as compute_90a/sm_90a (checked:
# arch=compute_90a,code=[compute_90a,sm_90a] in build.ninja), so no fallback to 90.
if ((check_only)); then
  [ -f "$build_dir/CMakeCache.txt" ] || die "--check-only: $build_dir is not a configured build (no CMakeCache.txt)"
  note "reusing the build in $build_dir (--check-only)"
else
  command -v nvcc >/dev/null 2>&1 || die "nvcc not found (CUDA toolkit needed to build the GPU bundle; looked in PATH and /usr/local/cuda/bin)"
  cuda_root=$(cd "$(dirname "$(command -v nvcc)")/.." && pwd)
  cudart_static=""
  for candidate in "$cuda_root/lib64/libcudart_static.a" "$cuda_root/lib/libcudart_static.a" \
                   "$cuda_root/targets/x86_64-linux/lib/libcudart_static.a"; do
    [ -f "$candidate" ] && { cudart_static=$candidate; break; }
  done
  [ -n "$cudart_static" ] || die "libcudart_static.a not found under $cuda_root"
  note "configuring $build_dir (Release, CUDA sm_90a, static CUDA runtime)"
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLMRUN_CUDA=ON -DLLMRUN_CUDA_ARCHS=90a \
    -DCMAKE_CUDA_RUNTIME_LIBRARY=Static -DCUDA_cudart_LIBRARY="$cudart_static" -DLLMRUN_FIXTURES="$fixtures" >/dev/null
  # Only what the check runs: the CLIs, the report tool, the benchmarks and every CUDA test.
  note "building (JOBS=${JOBS:-$(nproc)})"
  cmake --build "$build_dir" -j"${JOBS:-$(nproc)}" --target llmrun llmeval gpu_check_report bench/all tests/cuda/all
fi
build_dir=$(cd "$build_dir" && pwd)

# ---------------------------------------------------------------------------------------
# 2. Assemble.
#   payload.tar.xz  the executables and their libraries, xz-compressed (the CUDA kernels'
#                 device code is in every binary that links the backend: compressed as one
#                 stream they take a quarter of the room); gpu-check.sh unpacks it in /tmp:
#     bin/          llmrun, llmeval, gpu_check_report, bench_* (RUNPATH $ORIGIN/../lib)
#     tests/cuda/   every test executable of the build's tests/cuda (RUNPATH $ORIGIN/../../lib)
#     lib/          the non-system shared libraries they load (RUNPATH $ORIGIN)
#   fixtures/     models/stories260k from $LLMRUN_FIXTURES
#   test-data/    tests/data (the tiny HF golden models): what LLMRUN_TEST_DATA points at
#   scripts/      gpu-check.sh, gpu_check/ (peer benchmark, build from source)
#   src/          with --source: llmrun-src.tar.gz and debs/*.deb
#   MANIFEST.txt  what was built from what
is_elf() { [ -f "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = "177ELF" ]; }

binaries=()
for name in llmrun llmeval gpu_check_report; do
  [ -x "$build_dir/bin/$name" ] || die "$build_dir/bin/$name missing (build it, or drop --check-only)"
  binaries+=("$build_dir/bin/$name")
done
while IFS= read -r f; do binaries+=("$f"); done < <(find "$build_dir" -path "$build_dir/CMakeFiles" -prune -o \
  -type f -name 'bench_*' -perm -u+x -print | sort)
tests=()
if [ -d "$build_dir/tests/cuda" ]; then
  while IFS= read -r f; do is_elf "$f" && tests+=("$f"); done < <(find "$build_dir/tests/cuda" -maxdepth 1 -type f \
    -perm -u+x | sort)
fi
((${#tests[@]})) || die "no test executables in $build_dir/tests/cuda"
if grep -q '^LLMRUN_CUDA_ARCHS' "$build_dir/CMakeCache.txt"; then
  archs=$(sed -n 's/^LLMRUN_CUDA_ARCHS:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
else
  archs=unknown
fi
with_cuda=$(grep -c '^CMAKE_CUDA_COMPILER:' "$build_dir/CMakeCache.txt" || true)
((with_cuda)) || die "$build_dir was configured without CUDA (LLMRUN_CUDA=ON needed)"
[ -x "$build_dir/bench/bench_gpu_ceilings" ] || die "$build_dir/bench/bench_gpu_ceilings missing (a CUDA build with cuBLASLt)"

rm -rf "$bundle"
mkdir -p "$bundle"/{fixtures/models,scripts/gpu_check}
bundle=$(cd "$bundle" && pwd)
echo "llmrun GPU check bundle: incomplete (scripts/gpu-bundle.sh stopped before the end)" >"$bundle/MANIFEST.txt"
stage=$(mktemp -d)      # the payload before packing
unpacked=$(mktemp -d)   # the payload as gpu-check.sh will see it, for the self-check
trap 'rm -rf "$stage" "$unpacked"' EXIT
mkdir -p "$stage"/{bin,tests/cuda,lib}
for f in "${binaries[@]}"; do cp -p "$f" "$stage/bin/"; done
for f in "${tests[@]}"; do cp -p "$f" "$stage/tests/cuda/"; done

# Libraries: everything ldd lists except what the GPU machine provides itself. That
# machine runs an Ubuntu 24.04-like CUDA 13 image (Python 3.12.3, glibc 2.39, GLIBCXX up to
# 3.4.33): glibc's family, libgcc_s and libstdc++ come from there (our binaries need at
# most GLIBC_2.34 / GLIBCXX_3.4.30 today, printed into MANIFEST.txt; bundling an older libstdc++
# than the machine's would be loaded ahead of the one compute-sanitizer's injected
# libraries expect), and so do the driver (libcuda) and cuBLAS/cuBLASLt, which gpu-check.sh
# finds in the toolkit or torch's wheels. libgomp is carried: it is not in every image.
system_lib='^(linux-vdso\.so|ld-linux-x86-64\.so|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libresolv\.so|libutil\.so|libgcc_s\.so|libstdc\+\+\.so|libcuda\.so|libnvidia-[a-z-]*\.so|libcublas\.so|libcublasLt\.so)'
machine_lib='^(libcuda\.so|libnvidia-[a-z-]*\.so|libcublas\.so|libcublasLt\.so)'
copy_libs() {  # ldd of one file here (toolkit libraries resolvable) -> copy the non-system ones
  local line name path
  while IFS= read -r line; do
    name=$(basename "$(awk '{print $1}' <<<"$line")")
    path=$(awk '$2 == "=>" {print $3}' <<<"$line")
    [[ $name =~ $system_lib ]] && continue
    if [ -z "$path" ] || [ "$path" = "not" ]; then die "$(basename "$1") needs $name, which is not found here"; fi
    [ -f "$stage/lib/$name" ] || cp -L "$path" "$stage/lib/$name"
  done < <(LD_LIBRARY_PATH=/usr/local/cuda/lib64 ldd "$1" | grep -v 'statically linked')
}
for f in "$stage"/bin/* "$stage"/tests/cuda/*; do copy_libs "$f"; done
for f in "$stage"/lib/*; do copy_libs "$f"; done  # their own needs (libtinfo for readline, ...)

# shellcheck disable=SC2016  # $ORIGIN is for the loader, not the shell
for f in "$stage"/bin/*; do patchelf --set-rpath '$ORIGIN/../lib' "$f"; done
# shellcheck disable=SC2016
for f in "$stage"/tests/cuda/*; do patchelf --set-rpath '$ORIGIN/../../lib' "$f"; done
# shellcheck disable=SC2016
for f in "$stage"/lib/*; do chmod u+w "$f"; patchelf --set-rpath '$ORIGIN' "$f"; done

cp -rp "$fixtures/models/stories260k" "$bundle/fixtures/models/"
cp -rp tests/data "$bundle/test-data"
cp -p scripts/gpu-check.sh "$bundle/scripts/"
cp -p scripts/gpu_check/hf_peer_bench.py scripts/gpu_check/build_from_source.sh "$bundle/scripts/gpu_check/"

commit=$(git describe --always --dirty 2>/dev/null || echo unknown)
glibc_max=$(for f in "$stage"/bin/* "$stage"/tests/cuda/* "$stage"/lib/*; do objdump -T "$f"; done 2>/dev/null |
  grep -o 'GLIBC_2\.[0-9.]*' | sort -uV | tail -1)
glibcxx_max=$(for f in "$stage"/bin/* "$stage"/tests/cuda/* "$stage"/lib/*; do objdump -T "$f"; done 2>/dev/null |
  grep -o 'GLIBCXX_3\.[0-9.]*' | sort -uV | tail -1)
cudart=static
for f in "$stage"/bin/* "$stage"/tests/cuda/*; do
  readelf -d "$f" | grep -q 'NEEDED.*libcudart' && cudart="shared (carried in lib/)"
done
{
  echo "llmrun GPU check bundle"
  echo "commit: $commit"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"') from $build_dir"
  echo "cuda archs: $archs; CUDA runtime: $cudart; nvcc: $(nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
  echo "needs from the machine: $glibc_max, $glibcxx_max, libgcc_s, libcuda (driver), libcublas/libcublasLt 13"
  echo "run there: bash scripts/gpu-check.sh   (docs/GPU_CHECK.md)"
  echo "payload.tar.xz (bytes unpacked):"
  (cd "$stage" && find . -type f -printf '  %P %s\n' | sort)
} >"$bundle/MANIFEST.txt.new"
payload_mib=$(du -sb "$stage" | awk '{ printf "%.1f", $1 / 1048576 }')
note "packing the payload ($payload_mib MiB of executables and libraries, xz)"
tar -C "$stage" -cf - bin tests lib | xz -T"${JOBS:-$(nproc)}" -6 >"$bundle/payload.tar.xz"
mv "$bundle/MANIFEST.txt.new" "$bundle/MANIFEST.txt"

# ---------------------------------------------------------------------------------------
# 3. --source: the source tree and the build dependencies as .deb files.
deb_packages=(libcli11-dev nlohmann-json3-dev libsentencepiece-dev libsentencepiece0 libpcre2-dev libpcre2-8-0
              libutf8proc-dev libutf8proc2 libgtest-dev libgmock-dev libbenchmark-dev libbenchmark1debian
              libreadline-dev libreadline8 libncurses-dev libtinfo6 libncurses6 pkgconf pkgconf-bin libpkgconf3)
if ((with_source)); then
  mkdir -p "$bundle/src/debs"
  note "packing the source tree (tracked and untracked-not-ignored files)"
  git ls-files -co --exclude-standard -z | tar -czf "$bundle/src/llmrun-src.tar.gz" --null -T -
  note "downloading ${#deb_packages[@]} .deb files (apt-get download)"
  # As root, apt would otherwise fetch as _apt, which cannot write here (and says so).
  apt_opts=()
  [ "$(id -u)" -eq 0 ] && apt_opts=(-o APT::Sandbox::User=root)
  if ! (cd "$bundle/src/debs" && apt-get download -q "${apt_opts[@]}" "${deb_packages[@]}" >/dev/null); then
    note "apt-get download failed; updating the package lists once and retrying"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    (cd "$bundle/src/debs" && apt-get download -q "${apt_opts[@]}" "${deb_packages[@]}" >/dev/null) ||
      die "apt-get download failed"
  fi
fi

# ---------------------------------------------------------------------------------------
# 4. Self-check.
size_bytes=$(du -sb "$bundle" | cut -f1)
size_mib=$(awk -v b="$size_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
tree_mib=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- 2>/dev/null | tail -1 |
  awk '{ printf "%.1f", $1 / 1048576 }')
note "bundle size: $size_mib MiB (limit $max_mib MiB); with the working tree ($tree_mib MiB) the run tool carries $(awk -v a="$size_mib" -v b="$tree_mib" 'BEGIN { printf "%.1f", a + b }') MiB of its 64 MiB"
awk -v s="$size_mib" -v m="$max_mib" 'BEGIN { exit !(s > m) }' && die "bundle is $size_mib MiB, over the $max_mib MiB limit"
awk -v a="$size_mib" -v b="$tree_mib" 'BEGIN { exit !(a + b > 64) }' &&
  note "warning: bundle + working tree exceed the 64 MiB the run tool carries"

failures=0
fail() { echo "gpu-bundle: self-check FAILED: $*" >&2; failures=$((failures + 1)); }

# What follows runs the payload as gpu-check.sh will: unpacked from payload.tar.xz.
tar -xJf "$bundle/payload.tar.xz" -C "$unpacked"

# 4a. Every ELF file resolves every library inside the bundle or to an allowed system
# library; only the machine's own (driver, cuBLAS) may be missing here.
n_elf=0
while IFS= read -r f; do
  is_elf "$f" || continue
  n_elf=$((n_elf + 1))
  while IFS= read -r line; do
    name=$(basename "$(awk '{print $1}' <<<"$line")")
    path=$(awk '$2 == "=>" {print $3}' <<<"$line")
    if [ "$path" = "not" ]; then
      [[ $name =~ $machine_lib ]] || fail "${f#"$unpacked"/}: $name not found"
    elif [ -n "$path" ] && [[ $(readlink -f "$path") == "$unpacked"/* ]]; then
      :
    elif [[ $name =~ $system_lib ]]; then
      :
    else
      fail "${f#"$unpacked"/}: $name resolves outside the bundle ($path)"
    fi
  done < <(env -i ldd "$f" | grep -v 'statically linked')
done < <(find "$unpacked/bin" "$unpacked/tests" "$unpacked/lib" -type f | sort)
note "ldd: $n_elf ELF files checked"

# 4b. The CPU paths run from the bundle with an empty environment.
bundle_env=(env -i PATH=/usr/bin:/bin CI=true LLMRUN_FIXTURES="$bundle/fixtures" LLMRUN_TEST_DATA="$bundle/test-data"
            LLMRUN_BIN_DIR="$unpacked/bin")
model="$bundle/fixtures/models/stories260k"
expected=$(tr -s ' \n' ' ' <"$model/expected_greedy.ids.txt" | sed 's/^ *//; s/ *$//')
n_expected=$(($(wc -w <<<"$expected") - 1))
errors=$(mktemp)
if got=$("${bundle_env[@]}" "$unpacked/bin/llmrun" --device cpu --model "$model" --prompt-ids 1 -n "$n_expected" --temp 0 2>"$errors"); then
  if [ "1 $(tr -s ' \n' ' ' <<<"$got" | sed 's/ *$//')" = "$expected" ]; then
    note "llmrun --device cpu: $n_expected greedy ids equal the golden"
  else
    fail "llmrun --device cpu on stories260k: ids differ from expected_greedy.ids.txt"
  fi
else
  fail "llmrun --device cpu on stories260k: $(tail -1 "$errors")"
fi
rm -f "$errors"
shard_env=()
((test_shards > 1)) && shard_env=(GTEST_TOTAL_SHARDS="$test_shards" GTEST_SHARD_INDEX=0)
for f in "$unpacked"/tests/cuda/*; do
  if out=$(timeout "$test_timeout" "${bundle_env[@]}" "${shard_env[@]}" "$f" --gtest_brief=1 2>&1); then
    note "$(basename "$f"): $(grep -E '^\[  PASSED  \]' <<<"$out" | head -1) $(grep -E '^\[  SKIPPED \] [0-9]' <<<"$out" | head -1)"
  elif (($? == 124)); then
    fail "$(basename "$f") run from the bundle: timed out after $test_timeout s (--test-timeout)"
  else
    fail "$(basename "$f") run from the bundle: $(grep -E 'FAILED|error' <<<"$out" | tail -3 | tr '\n' ' ')"
  fi
done
if out=$("${bundle_env[@]}" "$unpacked/bin/gpu_check_report" --help 2>&1); then :; else fail "gpu_check_report --help: $out"; fi
# The CUDA programs start (the loader finds everything) and fail only for want of a GPU.
for prog in "$unpacked/bin/bench_gpu_ceilings" "$unpacked/bin/llmrun --device cuda --model $model --prompt-ids 1 -n 1"; do
  rc=0
  # shellcheck disable=SC2086  # the second entry is a command line on purpose
  out=$(env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH=/usr/local/cuda/lib64 $prog 2>&1) || rc=$?
  if ((rc == 0)); then note "$(basename "${prog%% *}") ran (a GPU is here)"
  elif ((rc == 127)) || grep -q 'error while loading shared libraries' <<<"$out"; then fail "${prog%% *} does not start: $out"
  else note "$(basename "${prog%% *}") starts here, and says: $(tail -1 <<<"$out")"
  fi
done
# The check script itself, from the bundle: one line and exit 3 without a GPU.
if ! command -v nvidia-smi >/dev/null 2>&1; then
  rc=0
  check_out=$(mktemp -d)
  out=$(env -i PATH=/usr/bin:/bin bash "$bundle/scripts/gpu-check.sh" --out "$check_out" 2>&1) || rc=$?
  rm -rf "$check_out"
  if ((rc == 3)) && [ "$(wc -l <<<"$out")" -eq 1 ]; then
    note "scripts/gpu-check.sh from the bundle: exit 3, \"$out\""
  else
    fail "gpu-check.sh without a GPU: exit $rc, said: $out"
  fi
fi

# 4c. --source: the .deb files unpack into a prefix and the tree configures against it.
if ((with_source)); then
  tmp=$(mktemp -d)
  if bash scripts/gpu_check/build_from_source.sh --src "$bundle/src/llmrun-src.tar.gz" --debs "$bundle/src/debs" \
      --work "$tmp" --archs "$archs" --configure-only --self-check >"$tmp.log" 2>&1; then
    note "source fallback: unpacked $(find "$bundle/src/debs" -name '*.deb' | wc -l) .deb files and configured in $tmp ($(tail -1 "$tmp.log"))"
    rm -rf "$tmp" "$tmp.log"
  else
    fail "source fallback did not configure: $(tail -3 "$tmp.log" | tr '\n' ' ') (log: $tmp.log)"
  fi
fi

((failures == 0)) || die "$failures self-check failure(s); the bundle in $bundle is not usable"
note "ready: $bundle ($size_mib MiB). On the GPU machine: bash $(basename "$bundle")/scripts/gpu-check.sh"
