#!/usr/bin/env bash
# Seeded mutation fuzzing of the readers of untrusted files: the PNG/JPEG decoders and the checkpoint reader
# (Tests/CycleGANTests/FuzzTests.swift). Every mutated image must decode or give a clear error; every mutated
# checkpoint must be refused; a crash or hang fails. CI runs the same tests at 150 cases per reader.
# Usage: Scripts/fuzz.sh [--cases N (default 2000)] [--seeds "1 2 3" (default 1)]
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=2000 SEEDS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) CASES="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    *) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
Scripts/setup.sh --no-build
swift build --build-tests 2>&1 | grep -E "error" || true
for seed in $SEEDS; do
  start=$(date +%s)
  CYCLEGAN_FUZZ_CASES="$CASES" CYCLEGAN_FUZZ_SEED="$seed" timeout 600 \
    swift test --disable-xctest --skip-build --filter FuzzTests 2>&1 | grep -E "^fuzz |✘|Test run|error"
  status="${PIPESTATUS[0]}"
  echo "seed $seed: $CASES cases per reader in $(( $(date +%s) - start )) s, exit $status"
  [ "$status" -eq 0 ] || exit "$status"
done
