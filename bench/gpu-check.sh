#!/usr/bin/env bash
# GPU check of the PyTorch engine, unattended, < 8 minutes on one NVIDIA GPU with a Python that has a
# CUDA build of torch (found as the app finds it: $SEGNAS_PYTHON, python3, python, /usr/bin/python3):
#   1. segnas devices --json
#   2. the training-step benchmark on cuda: the reference network at 64³, and the paper-scale
#      configuration (n=16 p=4 res=1 K=20 128³ batch 3) in fp32 and bf16, ours and a plain PyTorch step
#   3. a 10-candidate SegNAS4 search at 64³ on ../shared/data/hippocampus with --per-gpu 4 (test on the
#      best candidate)
# and prints one JSON summary (bench/gpuCheckSummary.ts). Logs stay in $OUT (default: a temp folder).
#
# usage: bash bench/gpu-check.sh [dataset dir]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/hippocampus}"
OUT="${OUT:-$(mktemp -d -t segnas-gpu-check-XXXXXX)}"
mkdir -p "$OUT"
WS="$OUT/workspace"
log() { echo "[gpu-check $(date +%T)] $*" >&2; }

if [ ! -d "$DATA" ]; then
  echo "gpu-check: dataset $DATA not found (give its folder as the first argument)" >&2
  exit 2
fi

log "devices"
node bin/segnas.mjs devices --json > "$OUT/devices.json" 2> "$OUT/devices.log"
if ! grep -q '"kind": "cuda"' "$OUT/devices.json" || ! grep -q '"usable": true' "$OUT/devices.json"; then
  log "no usable CUDA device for PyTorch; see $OUT/devices.json"
fi

log "bench (reference 64³ + paper scale fp32/bf16)"
timeout 240 node bin/run-ts.mjs bench/train.ts --engine pytorch --device cuda --size 64 --batch 1 --steps 10 --json \
  > "$OUT/bench.json" 2> "$OUT/bench.log" || log "bench failed or timed out: see $OUT/bench.log"

log "search: 10 SegNAS4 candidates at 64³, --per-gpu 4"
start=$(date +%s)
timeout 300 node bin/segnas.mjs search --data "$DATA" --variant segnas4 --engine pytorch --device cuda --per-gpu 4 \
  --size 64 --epochs 10 --batch 2 --evaluations 10 --population 10 --top-k 1 --memory-mb 20000 --workspace "$WS" \
  > "$OUT/search.log" 2>&1 || log "search failed or timed out: see $OUT/search.log"
seconds=$(( $(date +%s) - start ))
node bin/segnas.mjs show 1 --json --workspace "$WS" > "$OUT/show.json" 2>> "$OUT/search.log" || echo '{}' > "$OUT/show.json"

node bin/run-ts.mjs bench/gpuCheckSummary.ts "$OUT/devices.json" "$OUT/bench.json" "$OUT/show.json" "$seconds"
log "logs in $OUT"
