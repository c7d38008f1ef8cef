#!/usr/bin/env bash
# The test command: installs what is missing, then runs every test suite (Swift Testing).
# Gradient checks, PyTorch parity on committed fixtures, codecs, training end to end on tiny images.
# The tests' folders (datasets, runs, checkpoints) go to one temporary folder,
# removed when every test passed and kept, with its path printed, when one failed.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh --no-build
TESTS_TMP="$(mktemp -d "${TMPDIR:-/tmp}/cyclegan-tests.XXXXXX")"
trap 'echo "tests interrupted; their folders: $TESTS_TMP" >&2; exit 130' INT TERM
set +e
TMPDIR="$TESTS_TMP/" swift test --disable-xctest 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Linking|Write|Merging)'
status=${PIPESTATUS[0]}
set -e
if (( status == 0 )); then rm -rf "$TESTS_TMP"; else echo "test folders kept for a look: $TESTS_TMP" >&2; fi
exit "$status"
