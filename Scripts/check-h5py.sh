#!/usr/bin/env bash
# Checks HDF5 interoperability with h5py in both directions:
#   1. h5py writes a file (Scripts/check_h5py.py write) that the Swift test readFromH5py reads;
#   2. the Swift test writeForH5py writes a file that h5py checks (Scripts/check_h5py.py check).
#
# Usage, from anywhere:   Scripts/check-h5py.sh
# Environment:  SCRATCH_PATH  swift build folder (default .build)
#               PYTHON        interpreter used to make the venv (default python3)
# Needs network access to PyPI the first time: makes a venv at .venv-tools with h5py and numpy.
# Exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${SCRATCH_PATH:-.build}"

if [ ! -x .venv-tools/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv-tools
fi
.venv-tools/bin/python -c 'import h5py, numpy' 2>/dev/null || .venv-tools/bin/pip install --quiet h5py numpy

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

.venv-tools/bin/python Scripts/check_h5py.py write "$work/from-h5py.h5"

log="$work/swift-test.log"
# Builds only the test bundle (package CycleGAN → product CycleGANPackageTests), not the executables.
swift build --scratch-path "$scratch" --product CycleGANPackageTests
if ! CYCLEGAN_H5PY_IN="$work/from-h5py.h5" CYCLEGAN_H5PY_OUT="$work/from-swift.h5" \
    swift test --scratch-path "$scratch" --skip-build --disable-xctest --filter H5pyInteropTests >"$log" 2>&1; then
    cat "$log"
    echo "check-h5py: the Swift side failed" >&2
    exit 1
fi
grep -E "Test (readFromH5py|writeForH5py)|Test run" "$log" || true
# Both tests must have run (not been skipped for want of the variables).
for t in readFromH5py writeForH5py; do
    grep -q "Test $t() passed" "$log" || { cat "$log"; echo "check-h5py: $t did not pass" >&2; exit 1; }
done

.venv-tools/bin/python Scripts/check_h5py.py check "$work/from-swift.h5"
echo "check-h5py: all checks passed"
