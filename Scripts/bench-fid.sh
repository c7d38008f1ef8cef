#!/usr/bin/env bash
# Times Inception features (FID/KID's network at 299²) for N images: `cyclegan evaluate` (release build) against
# pytorch-fid's get_activations on the same CPU, the same threads on both sides, on the random-weight FID
# Inception of Scripts/pytorch/make_eval_fixtures.py (same FLOPs as the real weights, which cannot be downloaded
# here). The images are N 256×256 PNGs (smooth random colours) resized to 299 by both, as photos would be.
# Rounds alternate ours and PyTorch; prints a markdown row per round and the CPU.
#
# Usage: Scripts/bench-fid.sh [--images N (1000)] [--threads T (2)] [--rounds R (2)] [--batch_size B (50)]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGES=1000 THREADS=2 ROUNDS=2 BATCH=50
while [[ $# -gt 0 ]]; do
  case "$1" in
    --images) IMAGES="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --batch_size) BATCH="$2"; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
PY="$ROOT/.venv-torch/bin/python"
BIN="$ROOT/.build/release/cyclegan"
"$ROOT/Scripts/pytorch/setup_venv.sh" >/dev/null
(cd "$ROOT" && swift build -c release --product cyclegan 2>&1 | tail -1)
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$work/images" "$work/two"
"$PY" - "$work/images" "$IMAGES" <<'PYEOF'
import sys, numpy as np
from PIL import Image
folder, n = sys.argv[1], int(sys.argv[2])
rs = np.random.RandomState(0)
y, x = np.mgrid[0:256, 0:256] / 255.0
for i in range(n):
    base, slope = rs.uniform(0, 1, 3), rs.uniform(-0.5, 0.5, 3)
    img = np.clip(base + slope * (x + y)[..., None] / 2 + 0.08 * rs.uniform(0, 1, (256, 256, 3)), 0, 1)
    Image.fromarray((img * 255).round().astype(np.uint8)).save('%s/%04d.png' % (folder, i))
PYEOF
cp "$work/images/0000.png" "$work/images/0001.png" "$work/two/"
"$PY" "$ROOT/Scripts/pytorch/fid_reference.py" save-weights "$work/inception.pth" >/dev/null 2>&1
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; OpenBLAS core as chosen by cyclegan; torch $("$PY" -c 'import torch; print(torch.__version__)')"
echo
echo "| round | images | ours s | pytorch-fid s | ours / pytorch-fid |"
echo "|---|---:|---:|---:|---:|"
for round in $(seq 1 "$ROUNDS"); do
  # Ours: the time of the first folder's features, as evaluate prints it (the weights load before the clock starts).
  line=$("$BIN" evaluate --real "$work/images" --fake "$work/two" --inception "$work/inception.pth" \
           --batch_size "$BATCH" --num_threads "$THREADS" --json 2>&1 >/dev/null | grep "of $work/images: $IMAGES/$IMAGES")
  ours=$(sed -n 's/.*(\([0-9.]*\) s)$/\1/p' <<<"$line")
  theirs=$("$PY" "$ROOT/Scripts/pytorch/fid_reference.py" bench --folder "$work/images" --threads "$THREADS" \
             --batch_size "$BATCH" 2>/dev/null | tail -1 | "$PY" -c 'import json,sys; print("%.1f" % json.load(sys.stdin)["seconds"])')
  ratio=$("$PY" -c "print('%.2f' % ($ours / $theirs))")
  echo "| $round | $IMAGES | $ours | $theirs | $ratio |"
done
