#!/usr/bin/env bash
# What the demo grows into: trains photos ↔ paintings on the sample data at 128² for about an hour on
# 2 cores (73 epochs of 55 iterations, resnet_6blocks, ngf = ndf = 32), translates four test images each
# way, and writes the pictures the README shows to docs/images/: the newest sample grid, the loss curves and
# test images beside their translations. Usage: Scripts/longer-run.sh [--num_threads N] [extra train flags…]
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
command -v montage >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq imagemagick >/dev/null; }
# A copy of the binary: a rebuild during the hour cannot swap it under the running process.
bin="${TMPDIR:-/tmp}/cyclegan-longer-run"
cp .build/release/cyclegan "$bin"
name=longer-photo2painting
data=Data/photo2painting
out=docs/images
if [ -d "Runs/$name" ]; then
  echo "Runs/$name exists from an earlier run: moving it to Runs/$name.previous"
  rm -rf "Runs/$name.previous"; mv "Runs/$name" "Runs/$name.previous"
fi

start=$(date +%s)
"$bin" train --dataroot "$data" --name "$name" --seed 1 \
  --load_size 143 --crop_size 128 --netG resnet_6blocks --ngf 32 --ndf 32 \
  --n_epochs 40 --n_epochs_decay 33 --print_freq 55 --display_freq 550 --save_epoch_freq 10 "$@"
minutes=$(( ($(date +%s) - start) / 60 ))
for direction in AtoB BtoA; do
  input=testA; [[ $direction == BtoA ]] && input=testB
  mkdir -p "Runs/$name/picked/$direction"
  ls "$data/$input" | sort | head -4 | while read -r f; do cp "$data/$input/$f" "Runs/$name/picked/$direction/"; done
  "$bin" translate --run "Runs/$name" --direction $direction --input "Runs/$name/picked/$direction" --scale_width 128
done
"$bin" curves "Runs/$name"

mkdir -p "$out"
cp "$(ls Runs/$name/samples/iter_*.png | sort | tail -1)" "$out/longer-run-samples.png"
cp "Runs/$name/curves.png" "$out/longer-run-curves.png"
# Rows: inputs, then their translations (photos → paintings, then paintings → photos).
tiles=()
for direction in AtoB BtoA; do
  for f in $(ls "Runs/$name/picked/$direction" | sort); do tiles+=("Runs/$name/picked/$direction/$f"); done
  for f in $(ls "Runs/$name/picked/$direction" | sort); do tiles+=("Runs/$name/translations/$direction/${f%.*}.png"); done
done
montage "${tiles[@]}" -resize 128x128^ -gravity center -extent 128x128 -tile 4x -geometry +4+4 \
  "$out/longer-run-translations.png"
echo "longer-run: $minutes minutes of training; pictures in $out/ (samples, curves, translations)"
