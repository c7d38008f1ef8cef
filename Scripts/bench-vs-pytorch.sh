#!/usr/bin/env bash
# Times one CycleGAN training iteration and one translation, ours (cyclegan bench, release build) against
# the PyTorch reference (Scripts/pytorch/bench_step.py through reference.py), and prints a markdown table.
#
# Usage: Scripts/bench-vs-pytorch.sh [--quick] [--configs r9-256-64,r6-128-64,r6-128-32,r6-64-32]
#                                    [--iters K] [--rounds R] [--no-haswell] [--log-dir DIR] [--quiet-timeout S]
#
# Each config runs in rounds of (ours, PyTorch, ours with OPENBLAS_CORETYPE=Haswell), so that ours and
# PyTorch alternate and slow drift of the machine hits both; a cell is the mean of the rounds' medians.
# Before every run the script waits (up to --quiet-timeout s) until no Swift compiler runs and the CPUs
# were ≥ 90 % idle over one second, and logs whether that held. Both sides use 2 threads (OpenBLAS's
# default here; torch.set_num_threads(2)). OPENBLAS_CORETYPE is left as found for "ours" and set to
# Haswell only in the environment of the "ours (Haswell)" process; PyTorch does not use OpenBLAS.
#
# Configs (name = generator-size-ngf; ndf = ngf):
#   r9-256-64  256², resnet_9blocks, ngf = ndf = 64   (the reference's default)
#   r6-128-64  128², resnet_6blocks, 64/64
#   r6-128-32  128², resnet_6blocks, 32/32
#   r6-64-32    64², resnet_6blocks, 32/32
# --quick: only r6-128-32 and r6-64-32 with fewer iterations.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CONFIGS="r9-256-64,r6-128-64,r6-128-32,r6-64-32"
QUICK=0 ITERS="" ROUNDS=2 HASWELL=1 QUIET_TIMEOUT=900
LOG_DIR="${TMPDIR:-/tmp}/bench-vs-pytorch.$(date +%Y%m%d-%H%M%S)"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1; CONFIGS="r6-128-32,r6-64-32"; shift ;;
    --configs) CONFIGS="$2"; shift 2 ;;
    --iters) ITERS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --no-haswell) HASWELL=0; shift ;;
    --log-dir) LOG_DIR="$2"; shift 2 ;;
    --quiet-timeout) QUIET_TIMEOUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-vs-pytorch: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$LOG_DIR"

# name → "size netG ngf warm-up train-iters translate-iters"
config_params() {
  case "$1" in
    r9-256-64) echo "256 resnet_9blocks 64 1 3 5" ;;
    r6-128-64) echo "128 resnet_6blocks 64 1 5 10" ;;
    r6-128-32) echo "128 resnet_6blocks 32 1 5 10" ;;
    r6-64-32)  echo "64 resnet_6blocks 32 1 10 20" ;;
    *) echo "bench-vs-pytorch: unknown config '$1' (r9-256-64, r6-128-64, r6-128-32, r6-64-32)" >&2; exit 2 ;;
  esac
}
IFS=',' read -r -a CONFIG_LIST <<< "$CONFIGS"
for c in "${CONFIG_LIST[@]}"; do config_params "$c" > /dev/null; done

# MARK: - Tools

VENV_PY="$ROOT/.venv-torch/bin/python"
if ! { [[ -x "$VENV_PY" ]] && "$VENV_PY" -c 'import torch' 2>/dev/null; }; then
  echo "bench-vs-pytorch: creating .venv-torch (Scripts/pytorch/setup_venv.sh)"
  Scripts/pytorch/setup_venv.sh
fi
echo "bench-vs-pytorch: building the release binary"
swift build -c release --product cyclegan 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Linking|Write|Merging)' || true
BIN="$(swift build -c release --show-bin-path)/cyclegan"
[[ -x "$BIN" ]] || { echo "bench-vs-pytorch: $BIN was not built" >&2; exit 1; }

# MARK: - A quiet machine

# Busy fraction of all CPUs over one second, in percent.
busy_percent() {
  local a b
  read -r -a a < <(grep '^cpu ' /proc/stat)
  sleep 1
  read -r -a b < <(grep '^cpu ' /proc/stat)
  local total=0 idle i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  idle=$(( (b[4] - a[4]) + (b[5] - a[5]) ))
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}

# Waits until no Swift compiler runs and the CPUs are ≥ 90 % idle; logs the outcome.
wait_quiet() {
  local waited=0 busy
  while true; do
    busy=$(busy_percent)
    if ! pgrep -f swift-frontend > /dev/null && (( busy < 10 )); then
      echo "quiet: busy ${busy}% over 1 s, no swift-frontend, loadavg $(cut -d' ' -f1-3 /proc/loadavg), waited ${waited}s" >> "$LOG_DIR/quiet.log"
      return 0
    fi
    if (( waited >= QUIET_TIMEOUT )); then
      echo "NOT quiet after ${waited}s: busy ${busy}%, swift-frontend $(pgrep -fc swift-frontend || true)" | tee -a "$LOG_DIR/quiet.log" >&2
      return 0
    fi
    sleep 4; waited=$((waited + 5))
  done
}

# MARK: - Runs

value() { grep -E "^$2=" "$1" | tail -1 | cut -d= -f2; }
ours_rss() { sed -nE 's/^peak resident memory \(VmHWM\): ([0-9]+) MB/\1/p' "$1" | tail -1; }
mean() { awk '{ s += $1; n++ } END { if (n) printf "%.3f", s / n; else printf "nan" }'; }
round_values() {  # key log-suffix: the key's value in $LOG_DIR/$c.r<round>.<suffix>, one line per round
  local r
  for r in $(seq 1 "$ROUNDS"); do value "$LOG_DIR/$c.r$r.$2" "$1"; done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "nan" }'; }

run_ours() {  # tag env-coretype config-args… ; writes $LOG_DIR/<tag>.{train,translate}.log
  local tag="$1" coretype="$2"; shift 2
  local envs=()
  [[ -n "$coretype" ]] && envs=(OPENBLAS_CORETYPE="$coretype")
  wait_quiet
  env "${envs[@]}" "$BIN" bench "$@" --iters "$TRAIN_ITERS" --warmup "$WARMUP" > "$LOG_DIR/$tag.train.log"
  wait_quiet
  env "${envs[@]}" "$BIN" bench "$@" --iters "$TRANSLATE_ITERS" --warmup "$WARMUP" --translate > "$LOG_DIR/$tag.translate.log"
}

run_torch() {  # tag config-args…
  local tag="$1"; shift
  wait_quiet
  "$VENV_PY" Scripts/pytorch/bench_step.py "$@" --iters "$TRAIN_ITERS" --warmup "$WARMUP" \
    --translate-iters "$TRANSLATE_ITERS" --threads 2 > "$LOG_DIR/$tag.torch.log"
}

echo "bench-vs-pytorch: logs in $LOG_DIR"
echo "OPENBLAS_CORETYPE in this environment: ${OPENBLAS_CORETYPE:-unset}" | tee "$LOG_DIR/env.txt"
echo "start loadavg: $(cat /proc/loadavg)" | tee -a "$LOG_DIR/env.txt"

ROWS=() ROWS_H=() DETAILS=()
for c in "${CONFIG_LIST[@]}"; do
  read -r SIZE NETG NGF WARMUP TRAIN_ITERS TRANSLATE_ITERS <<< "$(config_params "$c")"
  if (( QUICK )); then TRAIN_ITERS=$(( TRAIN_ITERS > 3 ? 3 : TRAIN_ITERS )); TRANSLATE_ITERS=5; fi
  [[ -n "$ITERS" ]] && TRAIN_ITERS="$ITERS"
  ARGS=(--size "$SIZE" --netG "$NETG" --ngf "$NGF" --ndf "$NGF")
  for r in $(seq 1 "$ROUNDS"); do
    echo "[$c] round $r/$ROUNDS: ours"
    run_ours "$c.r$r.ours" "" "${ARGS[@]}"
    echo "[$c] round $r/$ROUNDS: PyTorch"
    run_torch "$c.r$r" "${ARGS[@]}"
    if (( HASWELL )); then
      echo "[$c] round $r/$ROUNDS: ours, OPENBLAS_CORETYPE=Haswell"
      run_ours "$c.r$r.oursH" Haswell "${ARGS[@]}"
    fi
  done
  t_it=$(round_values seconds_per_iter torch.log | mean)
  t_img=$(round_values seconds_per_image torch.log | mean)
  t_rss=$(round_values peak_rss_mb torch.log | mean)
  label="${SIZE}² ${NETG} ${NGF}/${NGF}"
  for variant in ours oursH; do
    (( HASWELL )) || [[ "$variant" == ours ]] || continue
    o_it=$(round_values seconds_per_iter "$variant.train.log" | mean)
    o_img=$(round_values seconds_per_image "$variant.translate.log" | mean)
    o_rss=$(for r in $(seq 1 "$ROUNDS"); do ours_rss "$LOG_DIR/$c.r$r.$variant.train.log"; done | mean)
    core=$(sed -nE 's/^OpenBLAS core ([^,]+),.*/\1/p' "$LOG_DIR/$c.r1.$variant.train.log" | head -1)
    row="| $label | $t_it | $o_it | $(ratio "$o_it" "$t_it") | $t_img | $o_img | $(ratio "$o_img" "$t_img") | ${t_rss%.*} / ${o_rss%.*} MB |"
    if [[ "$variant" == ours ]]; then ROWS+=("$row"); CORE="$core"; else ROWS_H+=("$row"); CORE_H="$core"; fi
    for r in $(seq 1 "$ROUNDS"); do
      DETAILS+=("$c round $r: torch $(value "$LOG_DIR/$c.r$r.torch.log" seconds_per_iter) s/iter $(value "$LOG_DIR/$c.r$r.torch.log" seconds_per_image) s/img; $variant $(value "$LOG_DIR/$c.r$r.$variant.train.log" seconds_per_iter) s/iter $(value "$LOG_DIR/$c.r$r.$variant.translate.log" seconds_per_image) s/img")
    done
  done
done

# MARK: - Report

{
  echo
  echo "Training iteration and translation, batch 1 (mean of $ROUNDS rounds' medians; ratio = ours / PyTorch, > 1 means we are slower)."
  echo "PyTorch: $("$VENV_PY" -c 'import torch; print("torch", torch.__version__)') (oneDNN/MKL), 2 threads. Ours: OpenBLAS core ${CORE:-?}, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}."
  echo
  echo "| config | PyTorch s/iter | ours s/iter | ratio | PyTorch s/img | ours s/img | ratio | peak RSS PyTorch / ours |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  if (( HASWELL )); then
    echo
    echo "Ours with OPENBLAS_CORETYPE=Haswell in its environment (OpenBLAS core ${CORE_H:-?}); same PyTorch runs:"
    echo
    echo "| config | PyTorch s/iter | ours s/iter | ratio | PyTorch s/img | ours s/img | ratio | peak RSS PyTorch / ours |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS_H[@]}"
  fi
  echo
  echo "Per round:"
  printf -- '- %s\n' "${DETAILS[@]}"
  echo
  echo "Quiet-machine checks: $(grep -c '^quiet' "$LOG_DIR/quiet.log" || true) passed, $(grep -c '^NOT' "$LOG_DIR/quiet.log" || true) timed out (see $LOG_DIR/quiet.log)."
} | tee "$LOG_DIR/table.md"
