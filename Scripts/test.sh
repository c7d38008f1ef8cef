#!/usr/bin/env bash
# The test command: installs what is missing, then runs every test suite (Swift Testing).
# Gradient checks, PyTorch parity on committed fixtures, codecs, training end to end on tiny images.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh --no-build
swift test --disable-xctest 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Linking|Write|Merging)'
exit "${PIPESTATUS[0]}"
