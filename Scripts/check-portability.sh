#!/usr/bin/env bash
# Runs the PyTorch parity suite and the GEMM/worker-pool tests under every OpenBLAS kernel family this CPU
# can execute and with 1, 2, 3 and 8 kernel threads (both convolution algorithms run inside the suite):
# the results may not depend on the CPU's kernels or the thread count. Prints one line per combination and
# exits non-zero if any fails. Usage: Scripts/check-portability.sh [--threads "1 2 3 8"] [--cores "…"]
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS="1 2 3 8"
flags="$(grep -m1 '^flags' /proc/cpuinfo || true)"
CORES="Prescott"
[[ "$flags" == *" avx2"* && "$flags" == *" fma"* ]] && CORES="$CORES Haswell Zen"
[[ "$flags" == *" avx512f"* && "$flags" == *" avx512bw"* && "$flags" == *" avx512vl"* ]] && CORES="$CORES SkylakeX Cooperlake SapphireRapids"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS="$2"; shift 2 ;;
    --cores) CORES="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

Scripts/setup.sh --no-build
swift build --build-tests 2>&1 | grep -E "error|warning: unre" || true
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); kernel families: $CORES; threads: $THREADS"
failed=0
for core in $CORES; do
  for t in $THREADS; do
    log="$(mktemp)"
    if OPENBLAS_CORETYPE="$core" CYCLEGAN_NUM_THREADS="$t" swift test --disable-xctest --skip-build \
         --filter ParityTests --filter ParallelTests >"$log" 2>&1; then
      result="passed"
    else
      result="FAILED"; failed=$((failed + 1))
    fi
    used="$(grep -o 'parity [^ ]* \[winograd\] kinks: [0-9]*' "$log" | awk '{s += $NF} END {print s + 0}')"
    worst="$(grep -o 'gradients: worst relative difference [0-9.e-]*' "$log" | awk '{print $NF}' | sort -g | tail -1)"
    echo "OPENBLAS_CORETYPE=$core threads $t: $result ($(grep -o 'Test run with [0-9]* tests' "$log" | head -1); worst gradient difference ${worst:-?}; reference kink sides taken at $used inputs with Winograd)"
    [ "$result" = passed ] || grep -E '✘' "$log" | head -5 | cut -c1-300
    rm -f "$log"
  done
done
[ "$failed" -eq 0 ] && echo "all combinations passed" || { echo "$failed combinations failed"; exit 1; }
