#!/usr/bin/env bash
# GPU check of the PyTorch engine, unattended, about 5 minutes on one NVIDIA GPU (a 15-minute lease holds it
# twice, with the machine's start) with a Python that has a
# CUDA build of torch (found as the app finds it: $SEGNAS_PYTHON, python3, python, /usr/bin/python3):
#   1. devices        segnas devices --json
#   2. step           bench:train on cuda: the reference network at 64³ in fp32 (TF32) and bf16, and the
#                     paper's scale (n=16 p=4 res=1 K=20 128³ batch 3) in fp32, bf16 and bf16 channels_last;
#                     each beside a plain PyTorch step of the same network (nn.BatchNorm3d)
#   3. first step     bench:train --startup: seconds from job start to the first step, 5 candidates in a row
#   4. search         SegNAS4 at 64³ with --per-gpu 1, 2 and 4 (45 s each): candidates per hour, peak
#                     memory measured against the estimate; on ../shared/data/hippocampus, else on phantoms
# Every step runs whatever the others did; the summary (bench/gpuCheckSummary.ts) prints one table with the
# figures of the steps that worked and one line per failure, then the same as JSON.
#
# --cpu runs the same steps on the CPU at a tiny size (16³, one search) in about two minutes: CI runs it,
# so that the script itself is tested on every change.
#
# usage: bash bench/gpu-check.sh [--cpu] [dataset dir]      logs and figures in $OUT (default: a temp folder)
set -uo pipefail
cd "$(dirname "$0")/.."
MODE=gpu
if [ "${1:-}" = "--cpu" ]; then MODE=cpu; shift; fi
DATA="${1:-../shared/data/hippocampus}"
OUT="${OUT:-$(mktemp -d -t segnas-gpu-check-XXXXXX)}"
mkdir -p "$OUT"
: > "$OUT/failures.txt"
log() { echo "[gpu-check $(date +%T)] $*" >&2; }
fail() { echo "$1: $2" >> "$OUT/failures.txt"; log "FAILED $1: $2"; }

if [ "$MODE" = gpu ]; then
  DEVICE=cuda SIZE=64 STEPS=10 PRECISIONS=fp32,bf16 PAPER_SIZE=128 STARTUP=5 PER_GPU="1 2 4"
  SEARCH_HOURS=0.0125 SEARCH_TIMEOUT=110 BENCH_TIMEOUT=150 STARTUP_TIMEOUT=90
else
  DEVICE=cpu SIZE=16 STEPS=2 PRECISIONS=fp32 PAPER_SIZE=16 STARTUP=3 PER_GPU="1"
  SEARCH_HOURS=0.01 SEARCH_TIMEOUT=150 BENCH_TIMEOUT=200 STARTUP_TIMEOUT=180
fi
echo "{\"mode\": \"$MODE\", \"device\": \"$DEVICE\", \"size\": $SIZE}" > "$OUT/mode.json"

log "1/4 devices"
if node bin/segnas.mjs devices --json > "$OUT/devices.json" 2> "$OUT/devices.log"; then
  if [ "$MODE" = gpu ] && ! grep -q '"kind": "cuda"' "$OUT/devices.json"; then
    fail devices "no CUDA device found by PyTorch (see $OUT/devices.json)"
  fi
else
  fail devices "segnas devices failed (see $OUT/devices.log)"
fi

log "2/4 training step ($DEVICE, ${SIZE}³ $PRECISIONS, paper scale at ${PAPER_SIZE}³)"
timeout "$BENCH_TIMEOUT" node bin/run-ts.mjs bench/train.ts --engine pytorch --device "$DEVICE" --size "$SIZE" \
  --batch 1 --steps "$STEPS" --precision "$PRECISIONS" --paper --paper-size "$PAPER_SIZE" --json \
  > "$OUT/bench.json" 2> "$OUT/bench.log" || fail step "bench:train failed or ran past ${BENCH_TIMEOUT} s (see $OUT/bench.log)"

log "3/4 time from job start to the first step ($STARTUP candidates)"
timeout "$STARTUP_TIMEOUT" node bin/run-ts.mjs bench/train.ts --engine pytorch --device "$DEVICE" --size "$SIZE" \
  --startup "$STARTUP" --json > "$OUT/startup.json" 2> "$OUT/startup.log" \
  || fail first-step "bench:train --startup failed (see $OUT/startup.log)"

log "4/4 search"
if [ ! -d "$DATA" ]; then
  log "dataset $DATA not found: searching on phantoms"
  DATA="$OUT/phantoms"
  node bin/segnas.mjs demo-data --out "$DATA" --cases 16 --size "$SIZE" --seed 1 > "$OUT/phantoms.log" 2>&1 \
    || fail search "could not write phantoms (see $OUT/phantoms.log)"
fi
echo "{\"dataset\": \"$DATA\"}" > "$OUT/dataset.json"
SPACE=(--variant segnas4)
if [ "$MODE" = cpu ]; then
  # SegNAS4 with at most 3 poolings and n < 9, so that 16³ builds every network and a candidate takes seconds.
  cat > "$OUT/cpu-bounds.json" <<'JSON'
{"n": {"lo": 4, "hi": 9}, "p": {"lo": 2, "hi": 4}, "sup": {"lo": 0, "hi": 2}, "res": {"lo": 0, "hi": 2},
 "nodes": {"fixed": 3}, "ops": [{"fixed": 2}, {"fixed": 0}, {"fixed": 2}]}
JSON
  SPACE=(--bounds "$OUT/cpu-bounds.json")
fi
for n in $PER_GPU; do
  WS="$OUT/workspace-per-gpu-$n"
  per_gpu=()
  [ "$DEVICE" = cuda ] && per_gpu=(--per-gpu "$n")
  start=$(date +%s)
  timeout "$SEARCH_TIMEOUT" node bin/segnas.mjs search --data "$DATA" "${SPACE[@]}" --engine pytorch \
    --device "$DEVICE" "${per_gpu[@]}" --size "$SIZE" --epochs 2 --batch 2 --evaluations 40 --population 10 \
    --top-k 0 --budget-hours "$SEARCH_HOURS" --workspace "$WS" > "$OUT/search-per-gpu-$n.log" 2>&1 \
    || fail "search --per-gpu $n" "segnas search failed or ran past ${SEARCH_TIMEOUT} s (see $OUT/search-per-gpu-$n.log)"
  echo $(( $(date +%s) - start )) > "$OUT/search-per-gpu-$n.seconds"
  node bin/segnas.mjs show 1 --json --workspace "$WS" > "$OUT/show-per-gpu-$n.json" 2>> "$OUT/search-per-gpu-$n.log" \
    || fail "search --per-gpu $n" "no experiment to show (see $OUT/search-per-gpu-$n.log)"
done

node bin/run-ts.mjs bench/gpuCheckSummary.ts "$OUT"
status=$?
log "logs and figures in $OUT"
exit $status
