#!/usr/bin/env bash
# Static gates on the real sm_90 build of kernels/cuda (issue 8, section 3), no GPU needed:
#   1. resources: every GEMV / attention / flash kernel has STACK 0 and LOCAL 0 in
#      `cuobjdump --dump-resource-usage` (register spills live in the stack frame, so this
#      is "no spills and no local memory");
#   2. loads: the SASS of every GEMV kernel has a 128-bit global load (LDG.E.128...,
#      or a wider LDG.E.ENL2 form) inside a loop (between a backward branch and its target).
# A gate that finds no GEMV kernel fails, so it cannot pass by checking nothing; and
# --self-test first compiles a kernel that spills and one with only 32-bit loads and
# requires the gates to reject both.
#
# cuobjdump (and nvdisasm, which its -sass needs) come from the toolkit when it has them,
# else from PyPI's nvidia-cuda-cuobjdump / nvidia-cuda-nvdisasm in a throwaway venv under
# BUILD_DIR. Parsing is python3.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/check_cuda_static.sh BUILD_DIR [--self-test]

Checks BUILD_DIR/kernels/cuda/libllmrun_cuda.a (build it first:
cmake --build BUILD_DIR --target llmrun_cuda). Exit 0 when every gate passes, 1 when one
fails, 2 when the check cannot run (no library, no cuobjdump).
EOF
}

[[ $# -ge 1 && $1 != -h && $1 != --help ]] || { usage; [[ $# -ge 1 ]] && exit 0 || exit 2; }
build_dir=$(cd "$1" && pwd)
self_test=0
[[ ${2:-} == --self-test ]] && self_test=1
lib="$build_dir/kernels/cuda/libllmrun_cuda.a"
[[ -f $lib ]] || { echo "check_cuda_static: no $lib; build it first (cmake --build $build_dir --target llmrun_cuda)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "check_cuda_static: needs python3" >&2; exit 2; }

# --- the tools -----------------------------------------------------------------------------
find_tool() {  # name -> path on stdout, or nothing
  local name=$1 upper
  upper=$(echo "$name" | tr a-z A-Z)
  for c in "${!upper:-}" "$(command -v "$name" || true)" "${CUDA_HOME:-/usr/local/cuda}/bin/$name" "/usr/local/cuda/bin/$name"; do
    [[ -n $c && -x $c ]] && { echo "$c"; return; }
  done
  return 0
}
cuobjdump=$(find_tool cuobjdump)
nvdisasm=$(find_tool nvdisasm)
if [[ -z $cuobjdump || -z $nvdisasm ]]; then
  venv="$build_dir/_cuda_static_tools"
  if [[ ! -x $venv/bin/python ]]; then
    echo "check_cuda_static: installing nvidia-cuda-cuobjdump and nvidia-cuda-nvdisasm into $venv" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet nvidia-cuda-cuobjdump nvidia-cuda-nvdisasm >&2 ||
      { echo "check_cuda_static: cannot install cuobjdump from PyPI" >&2; exit 2; }
  fi
  [[ -n $cuobjdump ]] || cuobjdump=$(find "$venv" -type f -name cuobjdump -perm -u+x | head -1)
  [[ -n $nvdisasm ]] || nvdisasm=$(find "$venv" -type f -name nvdisasm -perm -u+x | head -1)
fi
[[ -n $cuobjdump && -n $nvdisasm ]] || { echo "check_cuda_static: no cuobjdump/nvdisasm" >&2; exit 2; }
export PATH="$(dirname "$nvdisasm"):$PATH"  # cuobjdump -sass runs nvdisasm

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# check OBJECT LABEL -> prints the table; exit status 0 (pass) or 1 (a gate failed).
check() {
  local obj=$1 label=$2
  "$cuobjdump" --dump-resource-usage "$obj" >"$work/res.txt"
  "$cuobjdump" -sass "$obj" >"$work/sass.txt"
  python3 - "$work/res.txt" "$work/sass.txt" "$label" <<'PY'
import re, subprocess, sys

res_path, sass_path, label = sys.argv[1:4]
GATED = re.compile(r"gemv|attention|flash", re.I)  # resource gate
GEMV = re.compile(r"gemv", re.I)                    # 128-bit load gate
FORMATS = {"0": "f32", "1": "f16", "2": "bf16", "3": "int8-row", "4": "fp8-row", "5": "fp6-e3m2", "6": "fp6-e2m3",
           "7": "int8-g32", "8": "fp8-g32", "9": "fp6-e2m3-g32", "10": "int8-g64", "11": "fp8-g64",
           "12": "fp6-e2m3-g64"}
WIDE_LOAD = re.compile(r"\bLDG\.E(?:\.[A-Z0-9_]+)*\.(?:128|256)\b|\bLDG\.E\.ENL2\b")

def demangle(names):
    if not names:
        return {}
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True).stdout.splitlines()
    return dict(zip(names, out)) if len(out) == len(names) else {n: n for n in names}

# Resource usage: " Function NAME:" then "  REG:.. STACK:.. SHARED:.. LOCAL:.. ...".
resources = {}
lines = open(res_path).read().splitlines()
for i, line in enumerate(lines):
    m = re.match(r"\s*Function (\S+):\s*$", line)
    if m and i + 1 < len(lines):
        fields = dict(re.findall(r"(\w+(?:\[\d+\])?):(\d+)", lines[i + 1]))
        resources[m.group(1)] = {k: int(v) for k, v in fields.items()}

# SASS: "Function : NAME" then "/*0460*/ [@P0] OPCODE ...;".
sass, current = {}, None
for line in open(sass_path):
    m = re.match(r"\s*Function : (\S+)", line)
    if m:
        current = m.group(1)
        sass[current] = []
        continue
    m = re.match(r"\s*/\*([0-9a-f]{4,})\*/\s+(.*?);", line)
    if m and current:
        sass[current].append((int(m.group(1), 16), m.group(2)))

def wide_load_in_loop(instrs):
    """A 128-bit LDG between a backward branch's target and the branch."""
    loads = [a for a, text in instrs if WIDE_LOAD.search(text)]
    for addr, text in instrs:
        m = re.search(r"\bBRA\b(?:.*,)?\s*(0x[0-9a-f]+)\s*$", text)
        if m and int(m.group(1), 16) <= addr and any(int(m.group(1), 16) <= a <= addr for a in loads):
            return True
    return False

names = demangle(sorted(set(resources) | set(sass)))
failures, gemv_count, rows = [], 0, []
for mangled, pretty in sorted(names.items(), key=lambda kv: kv[1]):
    if not GATED.search(pretty):
        continue
    r = resources.get(mangled)
    is_gemv = bool(GEMV.search(pretty))
    wide = wide_load_in_loop(sass.get(mangled, [])) if is_gemv else None
    problems = []
    if r is None:
        problems.append("no resource usage")
    else:
        if r.get("STACK", 0) > 0:
            problems.append(f"stack frame {r['STACK']} bytes (register spills or a local array)")
        if r.get("LOCAL", 0) > 0:
            problems.append(f"local memory {r['LOCAL']} bytes")
    if is_gemv:
        gemv_count += 1
        if mangled not in sass:
            problems.append("no SASS")
        elif not wide:
            problems.append("no 128-bit global load inside a loop")
    short = re.sub(r"\(anonymous namespace\)::|llmrun::(cuda::)?", "", pretty)
    # WeightFormat's append-only numbers (kernels/quant/weight_format.h) as names.
    short = re.sub(r"\(WeightFormat\)(\d+)", lambda m: FORMATS.get(m.group(1), m.group(0)), short)
    rows.append((short[:110], r.get("REG", "?") if r else "?", r.get("STACK", "?") if r else "?",
                 r.get("LOCAL", "?") if r else "?", "-" if wide is None else ("yes" if wide else "NO"), problems))
    if problems:
        failures.append(f"{pretty}: " + "; ".join(problems))

print(f"## {label}: {len(rows)} gated kernels ({gemv_count} GEMV)")
print(f"{'kernel':<110} {'REG':>4} {'STACK':>5} {'LOCAL':>5} LDG128-in-loop")
for name, reg, stack, local, wide, problems in rows:
    print(f"{name:<110} {reg:>4} {stack:>5} {local:>5} {wide}{'  <-- ' + '; '.join(problems) if problems else ''}")
if gemv_count == 0:
    failures.append("no GEMV kernel found: the gate would check nothing")
for f in failures:
    print("FAIL:", f, file=sys.stderr)
sys.exit(1 if failures else 0)
PY
}

if [[ $self_test == 1 ]]; then
  nvcc=$(find_tool nvcc)
  [[ -n $nvcc ]] || { echo "check_cuda_static: --self-test needs nvcc" >&2; exit 2; }
  cat >"$work/bad.cu" <<'EOF'
// Must fail the gates: gemv_selftest_spill spills (64 live values, 24 registers),
// gemv_selftest_narrow loads 32 bits at a time.
__global__ void gemv_selftest_spill(const float* x, float* y, int k) {
  float a[64];
  for (int i = 0; i < 64; ++i) a[i] = x[i * k + threadIdx.x];
  y[threadIdx.x] = a[k & 63] + a[(k * 7) & 63];
}
__global__ void gemv_selftest_narrow(const float* x, float* y, int n) {
  float s = 0;
  for (int i = threadIdx.x; i < n; i += 32) s += x[i];
  y[threadIdx.x] = s;
}
EOF
  "$nvcc" -arch=sm_90 -maxrregcount=24 -c "$work/bad.cu" -o "$work/bad.o"
  if check "$work/bad.o" "self-test (must fail)" >"$work/self.txt" 2>&1; then
    cat "$work/self.txt"
    echo "check_cuda_static: self-test FAILED: the gates passed kernels that spill and load 32 bits" >&2
    exit 1
  fi
  grep -q "gemv_selftest_spill.*stack frame" "$work/self.txt" && grep -q "gemv_selftest_narrow.*no 128-bit" "$work/self.txt" ||
    { cat "$work/self.txt"; echo "check_cuda_static: self-test: a gate missed its defect" >&2; exit 1; }
  echo "self-test: the gates reject a spilling kernel and a 32-bit-load GEMV"
fi

check "$lib" "$(basename "$lib")"
echo "check_cuda_static: all gates pass"
