#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: build with CUDA for this GPU's architecture, run the
# whole test suite, run the CUDA tests under compute-sanitizer, and print a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/cuda/bin:$PATH"
nvidia-smi --query-gpu=name,compute_cap,memory.total --format=csv,noheader
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d '.')
BUILD_DIR=build-gpu LLMRUN_CUDA=ON JOBS=$(nproc) bash scripts/setup.sh -DLLMRUN_CUDA_ARCHS="$arch"
ctest --test-dir build-gpu --output-on-failure -j4 | tee build-gpu/ctest.log
if command -v compute-sanitizer >/dev/null; then
  compute-sanitizer --error-exitcode=1 build-gpu/tests/cuda/test_cuda_smoke
fi
echo "| check | result |"
echo "|---|---|"
echo "| ctest | $(tail -n 20 build-gpu/ctest.log | grep -E 'tests passed' || echo 'see log') |"
echo "| compute-sanitizer | $(command -v compute-sanitizer >/dev/null && echo clean || echo 'not installed') |"
