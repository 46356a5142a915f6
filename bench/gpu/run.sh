#!/usr/bin/env bash
# The whole GPU check in one command (bench/gpu/README.md): unpack what a bare GPU machine lacks
# (bench/gpu/.carry, made by prepare.sh), check that WebGPU runs on the hardware GPU, run the
# webgpu gradient checks and a short training run with a checkpoint round trip, then time W1 and
# W2 (bench:train throughput cells) with the PyTorch reference on the same GPU in the same run,
# and end with a summary table. Every stage has its own time limit, capped by what is left of
# the whole run's, so one hang cannot eat the lease.
#
#   OUT=/some/dir bash bench/gpu/run.sh             # on the GPU machine (default OUT: a temp folder)
#   bash bench/gpu/run.sh --dry-run                 # here, on lavapipe, with the sizes cut down
#
# --dry-run copies the checkout's tracked files and the carried folder into a bare temp tree
# and runs there, as the device tool would, but allows a software adapter, runs the bench's
# --quick cells and the reference on the CPU, and does not unpack the .debs into /.
set -uo pipefail
cd "$(dirname "$0")/../.."

DRY=0
case "${1:-}" in
  --dry-run) DRY=1 ;;
  '') ;;
  *) echo "usage: bash bench/gpu/run.sh [--dry-run]" >&2; exit 2 ;;
esac
CARRY=bench/gpu/.carry
if [ ! -f "$CARRY/node.xz" ]; then
  echo "$CARRY is missing: run bash bench/gpu/prepare.sh here first, and carry that folder" >&2
  exit 2
fi
WORK=${FEWSHOT_GPU_WORK:-${TMPDIR:-/tmp}/fewshot-gpu}

if [ "$DRY" = 1 ] && [ -z "${FEWSHOT_GPU_SIMULATED:-}" ]; then
  tree="$WORK/tree"
  rm -rf "$WORK"
  mkdir -p "$tree"
  # What the device tool sends: tracked files and untracked ones git does not ignore.
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$tree"
  mkdir -p "$tree/bench/gpu" && cp -r "$CARRY" "$tree/bench/gpu/"
  echo "dry run in a bare copy of the checkout: $tree"
  FEWSHOT_GPU_SIMULATED=1 FEWSHOT_GPU_WORK="$WORK" exec bash "$tree/bench/gpu/run.sh" --dry-run
fi

OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/fewshot-gpu-out.XXXXXX")}
mkdir -p "$OUT" "$WORK/bin"
: > "$OUT/stages.tsv"
: > "$OUT/results.jsonl"
rm -f "$OUT"/{run,adapter,tests,bench}.log "$OUT/reference.json"
exec > >(tee -a "$OUT/run.log") 2>&1

# lavapipe runs the dry run's cut-down cells slower than a GPU runs the real ones.
SCALE=$([ "$DRY" = 1 ] && echo 4 || echo 1)
TOTAL_S=${GPU_TOTAL_S:-$([ "$DRY" = 1 ] && echo 2400 || echo 480)}
RESERVE_S=20 # kept for the summary
T0=$SECONDS
elapsed() { echo $((SECONDS - T0)); }
left() { echo $((TOTAL_S - RESERVE_S - (SECONDS - T0))); }

# stage NAME LIMIT_S LOG COMMAND...: runs COMMAND under `timeout`, its output appended to
# $OUT/LOG, and records NAME's status and seconds in stages.tsv.
stage() {
  local name=$1 limit=$2 log=$3
  shift 3
  local budget
  budget=$(left)
  limit=$((limit * SCALE))
  ((limit > budget)) && limit=$budget
  if ((limit < 10)); then
    echo "== $name: skipped, the run's ${TOTAL_S} s are spent"
    printf '%s\tskipped\t0\n' "$name" >>"$OUT/stages.tsv"
    return 1
  fi
  echo "== $name (limit ${limit} s, at $(elapsed) s)"
  echo "===== $name" >>"$OUT/$log"
  local start=$SECONDS rc status
  # Through bash, so COMMAND may be one of the functions exported below.
  timeout -k 5 "$limit" bash -c '"$@"' "$name" "$@" >>"$OUT/$log" 2>&1
  rc=$?
  case $rc in
    0) status=ok ;;
    124 | 137) status="timed out" ;;
    *) status="failed ($rc)" ;;
  esac
  printf '%s\t%s\t%s\n' "$name" "$status" $((SECONDS - start)) >>"$OUT/stages.tsv"
  echo "   $status in $((SECONDS - start)) s"
  return $rc
}

# The last line this stage printed to its log (after its "===== NAME" marker), when it is a
# JSON report, goes to results.jsonl.
keep_json() {
  local name=$1 log=$2 line
  line=$(awk -v m="===== $name" '$0 == m { n = NR } { l[NR] = $0 } END { for (i = n + 1; i <= NR; i++) if (l[i] ~ /^\{/) j = l[i]; if (n) print j }' "$OUT/$log")
  [ -n "$line" ] && printf '{"stage":"%s","report":%s}\n' "$name" "$line" >>"$OUT/results.jsonl"
}

unxz_to() {
  if command -v xz >/dev/null; then
    xz -dc "$1" >"$2"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}

unpack() {
  if [ ! -x "$WORK/bin/node" ]; then
    unxz_to "$CARRY/node.xz" "$WORK/bin/node.part" && chmod +x "$WORK/bin/node.part" && mv "$WORK/bin/node.part" "$WORK/bin/node" || return 1
  fi
  "$WORK/bin/node" --version || return 1
  if [ ! -d node_modules ]; then
    if command -v xz >/dev/null; then
      tar -xJf "$CARRY/node_modules.tar.xz" || return 1
    else
      python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(".")' "$CARRY/node_modules.tar.xz" || return 1
    fi
  fi
  if [ "$DRY" = 1 ]; then
    for deb in "$CARRY"/debs/*.deb; do dpkg-deb --info "$deb" >/dev/null || return 1; done
    echo "debs are valid; not unpacked into / on a dry run"
  elif ldconfig -p | grep -q 'libvulkan.so.1 '; then
    echo "the Vulkan loader is installed"
  else
    for deb in "$CARRY"/debs/*.deb; do dpkg -x "$deb" / || return 1; done
    ldconfig
    ldconfig -p | grep -E 'libvulkan|libGLdispatch' | head -4
  fi
}

machine() {
  echo "kernel $(uname -r); $(grep PRETTY_NAME /etc/os-release 2>/dev/null)"
  echo "cpus $(nproc): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
  else
    echo "no nvidia-smi"
    [ "$DRY" = 1 ] || return 1
  fi
  "$PYTHON" -c 'import torch; c = torch.cuda.is_available(); print("torch", torch.__version__, "cuda", c, torch.cuda.get_device_name(0) if c else "")'
}

if [ "$DRY" = 1 ]; then
  PYTHON=/usr/bin/python3 REF_DEVICE=cpu SIZE=(--quick) ADAPTER_FLAGS=(--allow-software)
else
  PYTHON=python3 REF_DEVICE=cuda SIZE=() ADAPTER_FLAGS=()
fi
export -f unxz_to unpack machine
export DRY WORK CARRY PYTHON
export PATH="$WORK/bin:$PATH"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
export NODE_OPTIONS=--max-old-space-size=16384
export FEWSHOT_REFERENCE_PYTHON=$PYTHON FEWSHOT_REFERENCE_DEVICE=$REF_DEVICE FEWSHOT_SHARED_DIR="$PWD/$CARRY/shared"
NODE="$WORK/bin/node"
echo "bench/gpu/run.sh$([ "$DRY" = 1 ] && echo ' --dry-run'): logs in $OUT, ${TOTAL_S} s in all"

stage machine 30 run.log machine
stage unpack 120 run.log unpack || { echo "cannot unpack $CARRY"; exit 1; }

adapter_ok=0
if stage adapter 90 adapter.log "$NODE" --import tsx bench/gpu/adapter.ts "${ADAPTER_FLAGS[@]}"; then
  adapter_ok=1
else
  # The loader's own ICD search missed the driver; name NVIDIA's ICD and the GL vendor file.
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -f $icd ]; then
    export VK_DRIVER_FILES=$icd __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    stage adapter-icd 90 adapter.log "$NODE" --import tsx bench/gpu/adapter.ts && adapter_ok=1
  fi
fi
keep_json adapter adapter.log
grep -v -E 'artificially|^\s*at ' "$OUT/adapter.log" | tail -n 3

cell() { # cell NAME LIMIT WORKLOAD ALGO [extra bench flags]
  local name=$1 limit=$2 workload=$3 algo=$4
  shift 4
  stage "$name" "$limit" bench.log "$NODE" --import tsx bench/train.ts --only throughput --backend webgpu \
    --workload "$workload" --algo "$algo" --json "${SIZE[@]}" "$@"
  keep_json "$name" bench.log
}

if [ "$adapter_ok" = 1 ]; then
  stage webgpu-tests 240 tests.log "$NODE" --import tsx --test test/core/webgpu/webgpu.test.ts
  grep -E '^# (tests|pass|fail|skipped)|^not ok' "$OUT/tests.log" | sed 's/^/   /'
  # The two cells with targets first, then W2, then what only informs.
  cell w1-maml 150 conv4 maml
  cell w1-fomaml 100 conv4 fomaml
  for algo in maml fomaml reptile protonet; do cell "w2-$algo" 60 mlp "$algo"; done
  cell w1-protonet 100 conv4 protonet
  cell w1-maml-per-task 120 conv4 maml --task-batch 1
else
  echo "no usable WebGPU adapter: the reference alone, so the lease still measures something"
  stage reference-only 200 bench.log "$PYTHON" "$FEWSHOT_SHARED_DIR/reference/maml_bench.py" bench \
    --device "$REF_DEVICE" --threads 2 --warmup 1 --iters 5 --out "$OUT/reference.json"
fi

echo "== summary (at $(elapsed) s)"
"$NODE" --import tsx bench/gpu/summary.ts "$OUT" | tee "$OUT/summary.txt"
echo "total $(elapsed) s; logs: $OUT"
