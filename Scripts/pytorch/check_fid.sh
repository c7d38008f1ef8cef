#!/usr/bin/env bash
# Checks `cyclegan evaluate` against pytorch-fid and torch-fidelity on real photos and paintings, with a weights
# file that torch itself saved: the random-weight FID Inception of make_eval_fixtures.py (pytorch-fid's module
# code; the real pt_inception-2015-12-05-6726825d.pth cannot be downloaded here) saved whole by torch.save,
# then read by the release binary. Pairs compared: Data/photo2painting testA against testB (JPEGs decoded by
# libjpeg-turbo here and by Pillow there) and the same the other way. Then, for information, trainA (63
# photos) against trainB (31 paintings) and testA against itself, where pytorch-fid's scipy sqrtm raises
# "Imaginary component" on the singular covariances (fewer images than 2048 dimensions) and ours, through a
# symmetric eigen-decomposition with a rank tolerance, gives a number (1e-9 for testA with itself, against
# traces of 1.7e6).
# Prints each number from both sides and exits 1 if one differs by more than 1e-3 relative.
#
# Usage: Scripts/pytorch/check_fid.sh      Environment: CYCLEGAN_BIN (default .build/release/cyclegan)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="$ROOT/.venv-torch/bin/python"
BIN="${CYCLEGAN_BIN:-$ROOT/.build/release/cyclegan}"
"$ROOT/Scripts/pytorch/setup_venv.sh" >/dev/null
[[ -x "$BIN" ]] || (cd "$ROOT" && swift build -c release --product cyclegan >/dev/null)
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$PY" "$ROOT/Scripts/pytorch/fid_reference.py" save-weights "$work/inception.pth" 2>/dev/null
data="$ROOT/Data/photo2painting"
status=0
for pair in "testA testB" "testB testA" "trainA trainB info" "testA testA info"; do
  set -- $pair
  ours=$("$BIN" evaluate --real "$data/$1" --fake "$data/$2" --inception "$work/inception.pth" --json 2>/dev/null)
  theirs=$("$PY" "$ROOT/Scripts/pytorch/fid_reference.py" metrics --real "$data/$1" --fake "$data/$2" 2>"$work/err" | tail -1) \
    || { echo "$1 vs $2: ours $ours; pytorch-fid raises $(tail -1 "$work/err")"; [[ "${3:-}" == info ]] || status=1; continue; }
  "$PY" - "$1 vs $2" "$ours" "$theirs" <<'PYEOF' || status=1
import json, sys
label, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
bad = False
for key in ('fid', 'kid', 'kid_std'):
    a, b = ours[key], theirs[key]
    ok = abs(a - b) <= 1e-3 * abs(b)
    bad |= not ok
    print('%-14s %-8s ours %-22.12g pytorch-fid/torch-fidelity %-22.12g %s' % (label, key, a, b, 'ok' if ok else 'DIFFERS'))
sys.exit(1 if bad else 0)
PYEOF
done
exit $status
