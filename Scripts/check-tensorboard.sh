#!/usr/bin/env bash
# Trains a tiny run with --tensorboard on the sample data and reads its event files back with the tensorboard
# package (Scripts/pytorch/check_tensorboard.py: CRCs, every CSV value, every sample grid). Needs the venv of
# Scripts/pytorch/setup_venv.sh (made if missing). Usage: Scripts/check-tensorboard.sh [RUNS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-/tmp/cyclegan-tensorboard-check}
[ -x .venv-torch/bin/python ] || Scripts/pytorch/setup_venv.sh
swift build -c release --product cyclegan 2>&1 | tail -1
bin=$(swift build -c release --show-bin-path)/cyclegan
rm -rf "$runs/tb"
options=(--dataroot Data/photo2painting --runs_dir "$runs" --name tb --tensorboard --load_size 36 --crop_size 32
         --netG resnet_6blocks --ngf 8 --ndf 8 --n_epochs 2 --n_epochs_decay 0 --max_dataset_size 6 --print_freq 2
         --display_freq 3 --val_freq 1)
# Stopped after 7 iterations, then resumed: two event files, the steps after the checkpoint logged again.
"$bin" train "${options[@]}" --max_iterations 7 | tail -1
"$bin" train "${options[@]}" --continue_train | tail -1
.venv-torch/bin/python Scripts/pytorch/check_tensorboard.py "$runs/tb"
