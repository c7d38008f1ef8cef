#!/usr/bin/env bash
# The main job on the sample data: set up, train photos ↔ paintings for a few minutes at a small size,
# translate the test images both ways, plot the losses and write the run report.
# Usage: Scripts/demo.sh [extra train flags…]   (e.g. --n_epochs 20 for a longer run)
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
bin=.build/release/cyclegan
name=demo-photo2painting
data=Data/photo2painting

if [ -d "Runs/$name" ]; then
  echo "Runs/$name exists from an earlier demo: moving it to Runs/$name.previous"
  rm -rf "Runs/$name.previous"; mv "Runs/$name" "Runs/$name.previous"
fi

# 64×64 crops of 72×72 images, a 6-block generator with 32 filters: a few minutes on 2 cores.
"$bin" train --dataroot "$data" --name "$name" --seed 1 \
  --load_size 72 --crop_size 64 --netG resnet_6blocks --ngf 32 --ndf 32 \
  --n_epochs 3 --n_epochs_decay 3 --print_freq 25 --display_freq 55 --save_epoch_freq 3 "$@"

# Translate the test photos into paintings and the test paintings into photos, each at 128 px wide.
"$bin" translate --run "Runs/$name" --direction AtoB --input "$data/testA" --scale_width 128
"$bin" translate --run "Runs/$name" --direction BtoA --input "$data/testB" --scale_width 128

if "$bin" help curves >/dev/null 2>&1; then "$bin" curves "Runs/$name"; fi
if "$bin" help report >/dev/null 2>&1; then "$bin" report "Runs/$name"; fi

cat <<TXT

Done. Look at:
  Runs/$name/index.html             the run report (open it in a browser)
  Runs/$name/curves.png             loss curves
  Runs/$name/samples/               sample grids (real_A, fake_B, rec_A, idt_B / real_B, fake_A, rec_B, idt_A)
  Runs/$name/translations/AtoB/     test photos as paintings
  Runs/$name/translations/BtoA/     test paintings as photos
  Runs/$name/losses.csv             the losses, one row every 25 iterations
TXT
