#!/usr/bin/env bash
# The GPU check's fallback when the carried binaries do not start on the GPU machine
# (another glibc or libstdc++): unpack the build dependencies' .deb files (fetched by
# scripts/gpu-bundle.sh --source) with dpkg -x into a prefix inside the work folder, never
# into /, and build llmrun there against them. Prints the build folder on its last line.
#
#   build_from_source.sh --src llmrun-src.tar.gz --debs DIR --work DIR [--archs 90a] [--jobs N]
#                        [--configure-only] [--self-check]
set -euo pipefail

die() { echo "build_from_source: error: $*" >&2; exit 1; }

usage() {
  cat <<'EOF'
usage: build_from_source.sh --src TAR --debs DIR --work DIR [--archs ARCHS] [--jobs N] [--configure-only] [--self-check]

  --src TAR          the source tree (llmrun-src.tar.gz from gpu-bundle.sh --source)
  --debs DIR         the .deb files of the build dependencies
  --work DIR         where the prefix (WORK/prefix), the source (WORK/src) and the build
                     (WORK/build) go
  --archs ARCHS      LLMRUN_CUDA_ARCHS (default 90a)
  --jobs N           parallel build jobs (default nproc)
  --configure-only   stop after cmake's configure step
  --self-check       after configuring, fail unless every dependency was found inside the
                     prefix (not on this system), and build gpu_check_report against it
  -h, --help         this text
EOF
}

src="" debs="" work="" archs=90a jobs=$(nproc) configure_only=0 self_check=0
while (($#)); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --src|--debs|--work|--archs|--jobs)
      (($# >= 2)) || { echo "build_from_source: error: $1 needs a value (see --help)" >&2; exit 2; }
      case "$1" in
        --src) src=$2 ;; --debs) debs=$2 ;; --work) work=$2 ;; --archs) archs=$2 ;; --jobs) jobs=$2 ;;
      esac
      shift 2 ;;
    --configure-only) configure_only=1; shift ;;
    --self-check) self_check=1; shift ;;
    *) echo "build_from_source: error: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$src" ] || die "--src: no source archive '$src'"
[ -d "$debs" ] || die "--debs: no folder '$debs'"
[ -n "$work" ] || die "--work is required"
mkdir -p "$work"
work=$(cd "$work" && pwd)
prefix=$work/prefix
case "$prefix" in /|/usr|/usr/*) die "refusing to unpack into $prefix" ;; esac

# 1. Unpack every .deb into the prefix (dpkg -x; without dpkg, ar + tar do the same).
mkdir -p "$prefix"
n=0
for deb in "$debs"/*.deb; do
  [ -f "$deb" ] || continue
  if command -v dpkg-deb >/dev/null 2>&1; then
    dpkg-deb -x "$deb" "$prefix"
  elif command -v dpkg >/dev/null 2>&1; then
    dpkg -x "$deb" "$prefix"
  else
    member=$(ar t "$deb" | grep '^data\.tar') || die "$deb: no data.tar member"
    ar p "$deb" "$member" | tar -x -C "$prefix" -f - --auto-compress 2>/dev/null ||
      ar p "$deb" "$member" | tar -x -C "$prefix" -J -f -
  fi
  n=$((n + 1))
done
((n)) || die "no .deb files in $debs"
# Absolute symlinks (libreadline.so -> /lib/x86_64-linux-gnu/libreadline.so.8) point back
# into the prefix; .pc files say prefix=/usr: point them at the prefix too.
while IFS= read -r link; do
  target=$(readlink "$link")
  [[ $target == /* ]] && ln -sfn "$prefix$target" "$link"
done < <(find "$prefix" -type l)
while IFS= read -r pc; do
  sed -i "s|=/usr|=$prefix/usr|g; s|=/lib|=$prefix/lib|g" "$pc"
done < <(find "$prefix" -name '*.pc')
libdirs="$prefix/usr/lib/x86_64-linux-gnu:$prefix/lib/x86_64-linux-gnu"
export PKG_CONFIG_PATH="$prefix/usr/lib/x86_64-linux-gnu/pkgconfig:$prefix/usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$libdirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if ! command -v pkg-config >/dev/null 2>&1; then
  export PATH="$prefix/usr/bin:$PATH"  # pkgconf from the .debs
fi

# 2. The source.
rm -rf "$work/src"
mkdir -p "$work/src"
tar -xzf "$src" -C "$work/src"

# 3. Configure: the prefix first, its headers as system headers (readline's are found by
# the compiler, not by CMake).
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
cmake -S "$work/src" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DLLMRUN_CUDA=ON \
  -DLLMRUN_CUDA_ARCHS="$archs" -DCMAKE_PREFIX_PATH="$prefix/usr" -DCMAKE_CXX_FLAGS="-isystem $prefix/usr/include" \
  -DCMAKE_CUDA_RUNTIME_LIBRARY=Static

if ((self_check)); then
  # Every dependency must come from the prefix, or this proves nothing on a machine that
  # has them installed.
  cache="$work/build/CMakeCache.txt"
  for entry in nlohmann_json_DIR CLI11_DIR GTest_DIR benchmark_DIR READLINE_LIBRARY; do
    value=$(sed -n "s/^$entry:[A-Z]*=//p" "$cache")
    [[ $value == "$prefix"/* ]] || die "$entry is '$value', not inside the prefix $prefix"
  done
  for module in PCRE2 UTF8PROC SENTENCEPIECE; do
    value=$(sed -n "s/^${module}_LIBDIR:INTERNAL=//p" "$cache")
    [[ $value == "$prefix"/* ]] || die "pkg-config found ${module} at '$value', not inside the prefix $prefix"
  done
  cmake --build "$work/build" --target gpu_check_report -j"$jobs" >/dev/null
  "$work/build/bin/gpu_check_report" --help >/dev/null
fi
if ((configure_only)); then
  echo "configured in $work/build against $n .deb files unpacked into $prefix"
  exit 0
fi

# 4. Build what the check runs.
if [ "${generator[*]}" = "-G Ninja" ]; then
  cmake --build "$work/build" -j"$jobs" --target llmrun llmeval gpu_check_report bench/all tests/cuda/all
else
  cmake --build "$work/build" -j"$jobs" --target llmrun llmeval gpu_check_report
  make -C "$work/build/bench" -j"$jobs"
  make -C "$work/build/tests/cuda" -j"$jobs"
fi
echo "$work/build"
