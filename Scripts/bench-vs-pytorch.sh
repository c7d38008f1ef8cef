#!/usr/bin/env bash
# Times one CycleGAN training iteration and one translation, ours (cyclegan bench, release build) against
# the PyTorch reference (Scripts/pytorch/bench_step.py through reference.py), and prints a markdown table.
#
# Usage: Scripts/bench-vs-pytorch.sh [--quick] [--configs r9-256-64,r6-128-64,r6-128-32,r6-64-32]
#                                    [--iters K] [--rounds R] [--threads N] [--also-core NAME]
#                                    [--log-dir DIR] [--quiet-timeout S] [--precision bf16]
#
# Each config runs in rounds of (ours as shipped, PyTorch[, ours with OPENBLAS_CORETYPE=NAME]), so that
# ours and PyTorch alternate and slow drift of the machine hits both; a cell is the mean of the rounds'
# medians. "As shipped": OPENBLAS_CORETYPE unset, so `cyclegan` keeps OpenBLAS's kernel choice or replaces
# it (blasCoreOverride); the family that ran is read from its output. --also-core compares another family.
# PyTorch does not use OpenBLAS. The report starts with the CPU: model, family/model, vector features.
# The binary is copied into the log folder first, so a rebuild by someone else cannot swap it mid-run.
# Before every run the script waits (up to --quiet-timeout s) until no Swift compiler runs and the CPUs
# were ≥ 90 % idle over one second; after it, a run during which other processes (or the hypervisor:
# steal time) took more than 5 % of the CPUs is repeated, up to twice, and marked if still disturbed.
# Both sides use --threads N threads (default 2; ours: --num_threads N, GEMMs cut into blocks shared between
# them with OpenBLAS single-threaded; PyTorch: torch.set_num_threads(N)).
#
# Configs (name = generator-size-ngf; ndf = ngf):
#   r9-256-64  256², resnet_9blocks, ngf = ndf = 64   (the reference's default)
#   r6-128-64  128², resnet_6blocks, 64/64
#   r6-128-32  128², resnet_6blocks, 32/32
#   r6-64-32    64², resnet_6blocks, 32/32
# --quick: only r6-128-32 and r6-64-32 with fewer iterations.
# --precision bf16: each round also runs ours with --precision bf16 and PyTorch under bf16 autocast, and a
#   second table sets them side by side with our f32.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CONFIGS="r9-256-64,r6-128-64,r6-128-32,r6-64-32"
QUICK=0 ITERS="" ROUNDS=2 ALSO_CORE="" THREADS=2 QUIET_TIMEOUT=900 BF16=0
LOG_DIR="${TMPDIR:-/tmp}/bench-vs-pytorch.$(date +%Y%m%d-%H%M%S)"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1; CONFIGS="r6-128-32,r6-64-32"; shift ;;
    --configs) CONFIGS="$2"; shift 2 ;;
    --iters) ITERS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --also-core) ALSO_CORE="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --log-dir) LOG_DIR="$2"; shift 2 ;;
    --quiet-timeout) QUIET_TIMEOUT="$2"; shift 2 ;;
    --precision)
      case "$2" in bf16) BF16=1 ;; f32) BF16=0 ;; *) echo "bench-vs-pytorch: --precision f32 or bf16" >&2; exit 2 ;; esac
      shift 2 ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-vs-pytorch: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$LOG_DIR"
touch "$LOG_DIR/disturbed.txt" "$LOG_DIR/disturbance.log" "$LOG_DIR/quiet.log"

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
BUILT="$(swift build -c release --show-bin-path)/cyclegan"
[[ -x "$BUILT" ]] || { echo "bench-vs-pytorch: $BUILT was not built" >&2; exit 1; }
BIN="$LOG_DIR/cyclegan"
cp "$BUILT" "$BIN"
{ echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"; git status --short 2>/dev/null | sed 's/^/  /'; } > "$LOG_DIR/tree.txt"

# The CPU, as the report's first line: model name, family/model/stepping, the vector features that matter.
CPU_LINE="$(awk -F': ' '/^model name/ && !m { m = $2 } /^cpu family/ && !f { f = $2 } /^model\t/ && !n { n = $2 }
  /^flags/ && !g { g = $2 } END { split(g, a, " "); v = ""
  for (i in a) if (a[i] ~ /^(avx2|fma|avx512f|avx512bw|avx512vl|avx512_bf16|amx_bf16|amx_tile)$/) v = v " " a[i]
  printf "%s (family %s, model %s), %s CPUs;%s", m, f, n, cpus, v }' cpus="$(nproc)" /proc/cpuinfo)"
HZ="$(getconf CLK_TCK)" NCPU="$(nproc)"

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

# "busy steal" jiffies of all CPUs so far (busy = user + nice + system + irq + softirq).
cpu_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat; }

# Runs a command with stdout to LOG; repeats it (up to twice) when other processes or the hypervisor took
# more than 5 % of the CPUs meanwhile: CPU time of the whole system minus the command's own (user + sys).
checked_run() {  # log command…
  local log="$1"; shift
  local attempt a b verdict
  for attempt in 1 2 3; do
    wait_quiet
    read -r -a a < <(cpu_jiffies)
    /usr/bin/time -f "%e %U %S" -o "$log.time" "$@" > "$log"
    read -r -a b < <(cpu_jiffies)
    verdict=$(tail -1 "$log.time" | awk -v hz="$HZ" -v n="$NCPU" -v busy=$((b[0] - a[0])) -v steal=$((b[1] - a[1])) '{
      wall = $1; own = $2 + $3; other = (busy / hz - own) / (wall * n); st = steal / hz / (wall * n)
      if (other < 0) other = 0
      printf "%s: wall %.1f s, own CPU %.1f s, others %.0f%%, steal %.0f%%", (other > 0.05 || st > 0.05) ? "disturbed" : "clean", wall, own, 100 * other, 100 * st }')
    echo "$(basename "$log") attempt $attempt $verdict" >> "$LOG_DIR/disturbance.log"
    [[ "$verdict" == clean* ]] && return 0
    echo "  $(basename "$log"): $verdict" >&2
  done
  echo "$(basename "$log")" >> "$LOG_DIR/disturbed.txt"
}

# MARK: - Runs

value() { grep -E "^$2=" "$1" | tail -1 | cut -d= -f2; }
ours_rss() { sed -nE 's/^peak resident memory \(VmHWM\): ([0-9]+) MB/\1/p' "$1" | tail -1; }
mean() { awk '{ s += $1; n++ } END { if (n) printf "%.3f", s / n; else printf "nan" }'; }
round_values() {  # key log-suffix: the key's value in $LOG_DIR/$c.r<round>.<suffix>, one line per round
  local r
  for r in $(seq 1 "$ROUNDS"); do value "$LOG_DIR/$c.r$r.$2" "$1"; done
}
# "train-s/iter / translate-s/img" of a round, a * after a value whose run stayed disturbed.
cell() {  # train-log-suffix round [translate-log-suffix]
  local train="$LOG_DIR/$c.r$2.$1" translate="$LOG_DIR/$c.r$2.${3:-$1}"
  local mark_t="" mark_i=""
  grep -qx "$(basename "$train")" "$LOG_DIR/disturbed.txt" 2>/dev/null && mark_t="*"
  grep -qx "$(basename "$translate")" "$LOG_DIR/disturbed.txt" 2>/dev/null && mark_i="*"
  echo "$(value "$train" seconds_per_iter)$mark_t / $(value "$translate" seconds_per_image)$mark_i"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "nan" }'; }

run_ours() {  # tag coretype-or-empty config-args… ; writes $LOG_DIR/<tag>.{train,translate}.log
  local tag="$1" coretype="$2"; shift 2
  local environment=(env -u OPENBLAS_CORETYPE)
  [[ -n "$coretype" ]] && environment=(env OPENBLAS_CORETYPE="$coretype")
  checked_run "$LOG_DIR/$tag.train.log" "${environment[@]}" "$BIN" bench "$@" \
    --iters "$TRAIN_ITERS" --warmup "$WARMUP" --num_threads "$THREADS"
  checked_run "$LOG_DIR/$tag.translate.log" "${environment[@]}" "$BIN" bench "$@" \
    --iters "$TRANSLATE_ITERS" --warmup "$WARMUP" --translate --num_threads "$THREADS"
}
# The OpenBLAS family a log ran with.
core_of() { sed -nE 's/.*OpenBLAS core ([A-Za-z0-9]+),.*/\1/p' "$1" | head -1; }

run_torch() {  # tag config-args…
  local tag="$1"; shift
  checked_run "$LOG_DIR/$tag.torch.log" "$VENV_PY" Scripts/pytorch/bench_step.py "$@" --iters "$TRAIN_ITERS" \
    --warmup "$WARMUP" --translate-iters "$TRANSLATE_ITERS" --threads "$THREADS"
}

echo "bench-vs-pytorch: logs in $LOG_DIR"
echo "CPU: $CPU_LINE" | tee "$LOG_DIR/env.txt"
echo "OPENBLAS_CORETYPE in this environment: ${OPENBLAS_CORETYPE:-unset} (ours runs without it)" | tee -a "$LOG_DIR/env.txt"
echo "start loadavg: $(cat /proc/loadavg)" | tee -a "$LOG_DIR/env.txt"

ROWS=() ROWS_H=() ROWS_BF16=() DETAILS=()
for c in "${CONFIG_LIST[@]}"; do
  read -r SIZE NETG NGF WARMUP TRAIN_ITERS TRANSLATE_ITERS <<< "$(config_params "$c")"
  if (( QUICK )); then TRAIN_ITERS=$(( TRAIN_ITERS > 3 ? 3 : TRAIN_ITERS )); TRANSLATE_ITERS=5; fi
  [[ -n "$ITERS" ]] && TRAIN_ITERS="$ITERS"
  ARGS=(--size "$SIZE" --netG "$NETG" --ngf "$NGF" --ndf "$NGF")
  for r in $(seq 1 "$ROUNDS"); do
    echo "[$c] round $r/$ROUNDS: ours, as shipped"
    run_ours "$c.r$r.ours" "" "${ARGS[@]}"
    echo "[$c] round $r/$ROUNDS: PyTorch"
    run_torch "$c.r$r" "${ARGS[@]}"
    if [[ -n "$ALSO_CORE" ]]; then
      echo "[$c] round $r/$ROUNDS: ours, OPENBLAS_CORETYPE=$ALSO_CORE"
      run_ours "$c.r$r.oursH" "$ALSO_CORE" "${ARGS[@]}"
    fi
    if (( BF16 )); then
      echo "[$c] round $r/$ROUNDS: ours, --precision bf16"
      run_ours "$c.r$r.ours16" "" "${ARGS[@]}" --precision bf16
      echo "[$c] round $r/$ROUNDS: PyTorch, bf16 autocast"
      run_torch "$c.r$r.bf16" "${ARGS[@]}" --precision bf16
    fi
  done
  t_it=$(round_values seconds_per_iter torch.log | mean)
  t_img=$(round_values seconds_per_image torch.log | mean)
  t_rss=$(round_values peak_rss_mb torch.log | mean)
  label="${SIZE}² ${NETG} ${NGF}/${NGF}"
  for variant in ours oursH; do
    [[ -n "$ALSO_CORE" ]] || [[ "$variant" == ours ]] || continue
    o_it=$(round_values seconds_per_iter "$variant.train.log" | mean)
    o_img=$(round_values seconds_per_image "$variant.translate.log" | mean)
    o_rss=$(for r in $(seq 1 "$ROUNDS"); do ours_rss "$LOG_DIR/$c.r$r.$variant.train.log"; done | mean)
    row="| $label | $t_it | $o_it | $(ratio "$o_it" "$t_it") | $t_img | $o_img | $(ratio "$o_img" "$t_img") | ${t_rss%.*} / ${o_rss%.*} MB |"
    if [[ "$variant" == ours ]]; then ROWS+=("$row"); else ROWS_H+=("$row"); fi
  done
  if (( BF16 )); then
    a_it=$(round_values seconds_per_iter bf16.torch.log | mean)
    a_img=$(round_values seconds_per_image bf16.torch.log | mean)
    b_it=$(round_values seconds_per_iter ours16.train.log | mean)
    b_img=$(round_values seconds_per_image ours16.translate.log | mean)
    f_it=$(round_values seconds_per_iter ours.train.log | mean)
    f_img=$(round_values seconds_per_image ours.translate.log | mean)
    ROWS_BF16+=("| $label | $a_it | $b_it | $(ratio "$b_it" "$a_it") | $f_it | $(ratio "$b_it" "$f_it") | $a_img | $b_img | $(ratio "$b_img" "$a_img") | $f_img | $(ratio "$b_img" "$f_img") |")
  fi
  for r in $(seq 1 "$ROUNDS"); do
    line="$c round $r, s/iter and s/img: PyTorch $(cell torch.log "$r")"
    line+="; ours ($(core_of "$LOG_DIR/$c.r$r.ours.train.log")) $(cell ours.train.log "$r" ours.translate.log)"
    [[ -n "$ALSO_CORE" ]] && line+="; ours ($ALSO_CORE) $(cell oursH.train.log "$r" oursH.translate.log)"
    (( BF16 )) && line+="; PyTorch bf16 autocast $(cell bf16.torch.log "$r"); ours bf16 $(cell ours16.train.log "$r" ours16.translate.log)"
    DETAILS+=("$line")
  done
done

# MARK: - Report

HEADER="| config | PyTorch s/iter | ours s/iter | ratio | PyTorch s/img | ours s/img | ratio | peak RSS PyTorch / ours |"
{
  echo
  echo "Training iteration and translation, batch 1; mean of $ROUNDS rounds' medians; ratio = ours / PyTorch"
  echo "(> 1: we are slower). PyTorch: $("$VENV_PY" -c 'import torch; print("torch", torch.__version__)'), $THREADS threads each."
  echo "CPU: $CPU_LINE. Tree: $(head -1 "$LOG_DIR/tree.txt")."
  echo
  echo "Ours as shipped (OpenBLAS $(core_of "$LOG_DIR/${CONFIG_LIST[0]}.r1.ours.train.log") kernels):"
  echo
  echo "$HEADER"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  if [[ -n "$ALSO_CORE" ]]; then
    echo
    echo "Ours with OPENBLAS_CORETYPE=$ALSO_CORE; same PyTorch runs:"
    echo
    echo "$HEADER"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS_H[@]}"
  fi
  if (( BF16 )); then
    echo
    echo "bf16: ours with --precision bf16 against PyTorch under torch.autocast(\"cpu\", dtype=torch.bfloat16) and"
    echo "against our f32 (the table above), same rounds; training s/iter, then translation s/img:"
    echo
    echo "| config | PyTorch bf16 | ours bf16 | ratio | ours f32 | bf16 / f32 | PyTorch bf16 s/img | ours bf16 s/img | ratio | ours f32 s/img | bf16 / f32 |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS_BF16[@]}"
  fi
  echo
  echo "Per round (* = still disturbed after two repeats):"
  printf -- '- %s\n' "${DETAILS[@]}"
  echo
  echo "Quiet-machine checks before runs: $(grep -c '^quiet' "$LOG_DIR/quiet.log" || true) passed, $(grep -c '^NOT' "$LOG_DIR/quiet.log" || true) timed out;" \
       "runs repeated for disturbance: $(grep -c 'attempt [23]' "$LOG_DIR/disturbance.log" || true); still disturbed: $(wc -l < "$LOG_DIR/disturbed.txt")."
  echo "Logs: $LOG_DIR"
} | tee "$LOG_DIR/table.md"
