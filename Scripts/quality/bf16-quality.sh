#!/usr/bin/env bash
# The bf16 quality gate: is `--precision bf16` as good as f32? Makes the known-mapping task
# (make_known_mapping.py: photo crops against crops under a fixed colour/tone transform T), trains it with
# the same seed and budget in f32 and in bf16 (and in f32 with a second seed: how far two f32 runs differ by
# chance alone), translates testA with each G_A and measures PSNR and SSIM against T's output
# (`cyclegan evaluate --truth`), beside the untranslated testA's. Passes when bf16's PSNR is within 0.3 dB
# of f32's. Writes a markdown table, the runs, and curves-compare.png (`cyclegan curves --compare`).
#
# Usage: Scripts/quality/bf16-quality.sh [--out DIR] [--epochs N] [--netG G] [--size S] [--seed S]
#                                        [--second-seed S] [--num_threads N]
#   --epochs N: N epochs at the full learning rate, then N decaying (default 20: 2,200 iterations).
#   --netG, --size: the generator and the crop size (default resnet_6blocks, 64; unet_128 needs 128);
#   ngf = ndf = 32, crops cut at 9/8 of the size.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${TMPDIR:-/tmp}/bf16-quality" EPOCHS=20 SEED=1 SECOND_SEED=2 THREADS=() NETG=resnet_6blocks SIZE=64
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --epochs) EPOCHS="$2"; shift 2 ;;
    --netG) NETG="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --second-seed) SECOND_SEED="$2"; shift 2 ;;
    --num_threads) THREADS=(--num_threads "$2"); shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bf16-quality: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

# Debian's Python, where apt puts numpy and Pillow (a pyenv or venv python3 on PATH may lack them).
PY=/usr/bin/python3
if ! "$PY" -c 'import numpy, PIL' 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-numpy python3-pil >/dev/null
fi
Scripts/setup.sh
BIN="$OUT/cyclegan"
mkdir -p "$OUT"
cp .build/release/cyclegan "$BIN"   # a rebuild meanwhile cannot swap it
BUILT_AT="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo ' with local changes')"
"$BIN" train --precision bf16 --help >/dev/null
rm -rf "$OUT/data" "$OUT/runs" "$OUT/translations"
LOAD=$(( SIZE * 9 / 8 ))
"$PY" Scripts/quality/make_known_mapping.py --photos Data/photo2painting --out "$OUT/data" --crop "$LOAD"

train() {  # name precision seed
  local start=$SECONDS
  "$BIN" train --dataroot "$OUT/data" --runs_dir "$OUT/runs" --name "$1" --precision "$2" --seed "$3" \
    --load_size "$LOAD" --crop_size "$SIZE" --netG "$NETG" --ngf 32 --ndf 32 \
    --n_epochs "$EPOCHS" --n_epochs_decay "$EPOCHS" --print_freq 11 --display_freq 1100 --save_epoch_freq 1000 \
    "${THREADS[@]}" > "$OUT/$1.train.log"
  echo $(( SECONDS - start ))
}
measure() {  # folder → "psnr ssim"
  local json
  json=$("$BIN" evaluate --fake "$1" --truth "$OUT/data/truth" --json)
  "$PY" -c "import json, sys; r = json.loads(sys.argv[1]); print('%.2f %.4f' % (r['psnr'], r['ssim']))" "$json"
}

ROWS=()
scores=$(measure "$OUT/data/testA")
read -r psnr ssim <<< "$scores"
ROWS+=("| testA untranslated (T not learned) | – | – | $psnr | $ssim |")
declare -A PSNR
for spec in "f32 f32 $SEED" "bf16 bf16 $SEED" "f32-seed$SECOND_SEED f32 $SECOND_SEED"; do
  read -r name precision seed <<< "$spec"
  echo "bf16-quality: training $name ($precision, seed $seed, $(( 2 * EPOCHS )) epochs)"
  seconds=$(train "$name" "$precision" "$seed")
  "$BIN" translate --run "$OUT/runs/$name" --direction AtoB --input "$OUT/data/testA" --precision "$precision" \
    --output "$OUT/translations/$name" "${THREADS[@]}" > "$OUT/$name.translate.log"
  scores=$(measure "$OUT/translations/$name")
  read -r psnr ssim <<< "$scores"
  PSNR[$name]=$psnr
  ROWS+=("| $name | $precision, seed $seed | ${seconds} s | $psnr | $ssim |")
done
"$BIN" curves --compare "$OUT/runs/f32" "$OUT/runs/bf16" "$OUT/runs/f32-seed$SECOND_SEED" \
  --output "$OUT/curves-compare.png" > /dev/null

GAP=$("$PY" -c "print(f'{abs(${PSNR[bf16]} - ${PSNR[f32]}):.2f}')")
CHANCE=$("$PY" -c "print(f'{abs(${PSNR[f32-seed$SECOND_SEED]} - ${PSNR[f32]}):.2f}')")
{
  echo "CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); commit $BUILT_AT"
  echo "known mapping, $(( 2 * EPOCHS )) epochs of 55 iterations, ${SIZE}² crops of ${LOAD}² images, $NETG 32/32; G_A(testA) against T(testA), 16 images"
  echo
  echo "| run | precision | training time | PSNR dB | SSIM |"
  echo "|---|---|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "bf16 − f32 (seed $SEED): $GAP dB; two f32 seeds differ by $CHANCE dB"
} | tee "$OUT/report.md"
if "$PY" -c "import sys; sys.exit(0 if $GAP <= 0.3 else 1)"; then
  echo "PASS: bf16's PSNR is within 0.3 dB of f32's"
else
  echo "FAIL: bf16's PSNR is $GAP dB from f32's (allowed: 0.3)"; exit 1
fi
