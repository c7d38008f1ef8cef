#!/usr/bin/env bash
# A golden run: proof that a change of structure changed no behaviour. Trains a tiny CycleGAN with a fixed
# seed at 64² (its residual blocks, 32 channels on 16×16 maps, run Winograd and keep its transformed filters)
# on 3 + 3 sample images through 4 epochs (2 constant, 2 decaying: epoch transitions and the learning-rate
# schedule), stopping after 5 iterations and resuming with --continue_train, then translates the test images
# both ways. Writes OUT/manifest.txt: the SHA-256 of every file of the run folder and of every translation;
# of losses.csv without its timing column (seconds per iteration differ from run to run); of each
# checkpoint's contents as h5dump prints them, floats in hexadecimal (exact), not of its bytes (HDF5 records
# creation times in the file).
#
# Usage: Scripts/golden-run.sh OUT [--binary PATH]     record a run (default binary: a fresh release build)
#        Scripts/golden-run.sh --compare OUT1 OUT2     the two manifests must be identical (exit 1 if not)
# Typical use: record with main's binary, change the code, record again, compare.
set -euo pipefail
command -v h5dump >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hdf5-tools >/dev/null; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ "${1:-}" == "--compare" ]]; then
  [[ $# -eq 3 ]] || { echo "usage: golden-run.sh --compare OUT1 OUT2" >&2; exit 2; }
  if diff -u "$2/manifest.txt" "$3/manifest.txt"; then
    echo "golden-run: identical ($(wc -l < "$2/manifest.txt") files)"
  else
    echo "golden-run: the runs differ (lines above)" >&2; exit 1
  fi
  exit 0
fi

OUT="${1:?usage: golden-run.sh OUT [--binary PATH] | --compare OUT1 OUT2}"
BIN=""
[[ "${2:-}" == "--binary" ]] && BIN="$3"
if [[ -z "$BIN" ]]; then
  (cd "$ROOT" && swift build -c release --product cyclegan >/dev/null)
  BIN="$ROOT/.build/release/cyclegan"
fi
BIN="$(realpath "$BIN")"
rm -rf "$OUT" && mkdir -p "$OUT/data"
OUT="$(realpath "$OUT")"
for side in A B; do
  mkdir -p "$OUT/data/train$side" "$OUT/data/test$side"
  ls "$ROOT/Data/photo2painting/train$side" | sort | head -3 | while read -r f; do
    cp "$ROOT/Data/photo2painting/train$side/$f" "$OUT/data/train$side/"; done
  ls "$ROOT/Data/photo2painting/test$side" | sort | head -2 | while read -r f; do
    cp "$ROOT/Data/photo2painting/test$side/$f" "$OUT/data/test$side/"; done
done

# Relative paths, from inside OUT: config.json and the checkpoints record them.
cd "$OUT"
train=("$BIN" train --dataroot data --name golden --runs_dir runs --seed 7
       --load_size 72 --crop_size 64 --netG resnet_6blocks --ngf 8 --ndf 8 --pool_size 2
       --n_epochs 2 --n_epochs_decay 2 --print_freq 2 --display_freq 3 --save_epoch_freq 1 --num_threads 2)
"${train[@]}" --max_iterations 5 > train-1.log
"${train[@]}" --continue_train > train-2.log
for direction in AtoB BtoA; do
  input=testA; [[ $direction == BtoA ]] && input=testB
  "$BIN" translate --run runs/golden --direction $direction --input data/$input \
    --output translations/$direction --num_threads 2 > translate-$direction.log
done

# losses.csv without the timing column; every other file as it is.
csv=runs/golden/losses.csv
column=$(head -1 "$csv" | tr ',' '\n' | grep -n -x 'seconds_per_iter' | cut -d: -f1 || true)
[[ -n "$column" ]] || { echo "golden-run: no timing column found in $csv's header: $(head -1 "$csv")" >&2; exit 1; }
(
  find runs translations -type f ! -name losses.csv ! -name .lock ! -name '*.h5' | LC_ALL=C sort | xargs sha256sum
  for h5 in $(find runs -name '*.h5' | LC_ALL=C sort); do
    echo "$(h5dump -m '%a' "$h5" | tail -n +2 | sha256sum | cut -d' ' -f1)  $h5 (contents)"
  done
  echo "$(cut -d, -f"$column" --complement runs/golden/losses.csv | sha256sum | cut -d' ' -f1)  runs/golden/losses.csv (without column $column)"
) > "$OUT/manifest.txt"
echo "golden-run: $(wc -l < "$OUT/manifest.txt") files → $OUT/manifest.txt"
