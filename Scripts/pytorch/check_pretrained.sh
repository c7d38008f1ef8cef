#!/usr/bin/env bash
# Checks that an official pretrained CycleGAN generator (latest_net_G.pth / horse2zebra.pth, as
# `torch.save(net.state_dict())` writes them) can be brought into this toolkit and that the weights
# cross back unchanged. The official files cannot be downloaded here, so they are emulated with
# Scripts/pytorch/reference.py (same architecture and state-dict keys), seeded and perturbed.
#
# In a temporary folder:
#   1. emulated .pth files: resnet_9blocks ngf 64 instance 3→3 (+ a copy with pre-0.4 InstanceNorm keys, in
#      torch's legacy format),
#      and a full latest_net_{G_A,G_B,D_A,D_B}.pth set of resnet_6blocks ngf 16 batch norm;
#      inputs: 2 JPEGs of Data/photo2painting/testA and a 251×189 PNG
#   2. convert.py pth2h5 (--direction AtoB and BtoA for the lone generator, a folder for the set); and
#      2b. the same .pth files read natively by `cyclegan translate --checkpoint X.pth`; 2c. `cyclegan import`
#      writes the same checkpoints as convert.py
#   3. cyclegan inspect and cyclegan translate (the release binary)
#   4. the same generator in PyTorch on the same pixels (decoded by Pillow, as the reference does),
#      compared with our PNGs in 8-bit levels (≤ 1 level allowed: float32 summation order)
#   5. convert.py h52pth back: strict load into the reference net, bit-identical to the original .pth; and
#      5b. the same with `cyclegan export` (torch.load of our own zip writer)
#   6. cyclegan export --onnx: onnx.checker, and onnxruntime's outputs against PyTorch's (≤ 1e-4) and our PNGs
#      (≤ 1 level)
#   and translate --direction BtoA on the AtoB-only file must fail with a clear message.
# Prints a summary table and exits 1 if any check fails.
#
# Usage: Scripts/pytorch/check_pretrained.sh [--keep]     (--keep leaves the temporary folder)
# Environment: CYCLEGAN_BIN (default .build/release/cyclegan, built if missing),
#              CHECK_TIMING=0 to skip the timing runs.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="$ROOT/.venv-torch/bin/python"
HELPER="$ROOT/Scripts/pytorch/check_pretrained.py"
CONVERT="$ROOT/Scripts/pytorch/convert.py"
BIN="${CYCLEGAN_BIN:-$ROOT/.build/release/cyclegan}"
KEEP=0
[[ "${1:-}" == "--keep" ]] && KEEP=1
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1   # the helper also calls torch.set_num_threads(1)

if ! "$PY" -c 'import torch, h5py, numpy, PIL' 2>/dev/null; then
  echo "check_pretrained: $PY lacks torch, h5py, numpy or Pillow: run Scripts/pytorch/setup_venv.sh" >&2
  exit 2
fi

# The release binary; SwiftPM refuses (or waits) while another build holds .build: retry.
if [[ ! -x "$BIN" ]]; then
  echo "check_pretrained: building $BIN"
  for attempt in $(seq 1 30); do
    if log=$(cd "$ROOT" && swift build -c release --product cyclegan 2>&1); then break; fi
    if grep -qi 'another instance of swiftpm\|already running\|lock' <<<"$log"; then
      echo "  another build is in progress; retrying in 20 s ($attempt/30)"; sleep 20; continue
    fi
    echo "$log" | tail -20 >&2; echo "check_pretrained: swift build failed" >&2; exit 2
  done
  [[ -x "$BIN" ]] || { echo "check_pretrained: no $BIN after building" >&2; exit 2; }
fi

T="$(mktemp -d "${TMPDIR:-/tmp}/check_pretrained.XXXXXX")"
if [[ $KEEP == 1 ]]; then echo "check_pretrained: keeping $T"; else trap 'rm -rf "$T"' EXIT; fi
cd "$T" || exit 2
export CHECK_RESULTS="$T/results.tsv" CHECK_TIMES="$T/times.tsv"
: >"$CHECK_RESULTS"; : >"$CHECK_TIMES"

say() { printf '\n== %s\n' "$*"; }
# run CMD…: echo it, run it, log its output; record a failed row if it exits non-zero
run() {
  echo "+ ${*//$ROOT\//}"
  "$@"; local rc=$?
  [[ $rc == 0 ]] || "$PY" "$HELPER" record "command" "exit $rc: ${*//$ROOT\//}" --fail >/dev/null
  return $rc
}
helper() { "$PY" "$HELPER" "$@"; }

echo "check_pretrained: binary $BIN ($(date -r "$BIN" '+%F %T')), folder $T, load $(cut -d' ' -f1-3 /proc/loadavg)"

say "1. emulated official files and inputs"
run helper make "$T" || { echo "check_pretrained: could not make the inputs" >&2; exit 2; }
helper decode inputs

say "2. pth2h5"
run "$PY" "$CONVERT" pth2h5 pretrained/latest_net_G.pth --direction AtoB -o G_AtoB.h5
run "$PY" "$CONVERT" pth2h5 pretrained/horse2zebra.pth --direction BtoA -o G_BtoA.h5
run "$PY" "$CONVERT" pth2h5 legacy/latest_net_G.pth --direction AtoB -o G_legacy.h5 &&
  helper same-h5 G_AtoB.h5 G_legacy.h5 --what "legacy InstanceNorm keys dropped"
run "$PY" "$CONVERT" pth2h5 small -o small.h5

say "2b. the .pth files read natively: cyclegan translate --checkpoint X.pth, no converter"
run "$BIN" translate --checkpoint pretrained/latest_net_G.pth --direction AtoB --input inputs --output out/pth_AtoB
run "$BIN" translate --checkpoint legacy/latest_net_G.pth --direction AtoB --input inputs --output out/pth_legacy
run "$BIN" translate --checkpoint small/latest_net_G_A.pth --direction AtoB --input inputs --output out/pth_small

say "2c. cyclegan import: the same checkpoints as convert.py pth2h5, natively"
run "$BIN" import pretrained/latest_net_G.pth --output native_AtoB.h5 && helper same-h5 G_AtoB.h5 native_AtoB.h5 --what "import generator"
run "$BIN" import legacy/latest_net_G.pth --output native_legacy.h5 && helper same-h5 G_AtoB.h5 native_legacy.h5 --what "import legacy format, pre-0.4 keys"
run "$BIN" import small --output native_small.h5 && helper same-h5 small.h5 native_small.h5 --what "import a reference folder"

say "3. cyclegan inspect"
for h5 in G_AtoB.h5 G_BtoA.h5 small.h5; do
  run "$BIN" inspect "$h5" | tee "inspect_${h5%.h5}.txt" && helper inspect "inspect_${h5%.h5}.txt" "$h5"
done

say "3. cyclegan translate"
run "$BIN" translate --checkpoint G_AtoB.h5 --direction AtoB --input inputs --output out/pre_AtoB | tee translate_pre_AtoB.txt
run "$BIN" translate --checkpoint G_BtoA.h5 --direction BtoA --input inputs --output out/pre_BtoA
run "$BIN" translate --checkpoint small.h5 --direction AtoB --input inputs --output out/small_AtoB
run "$BIN" translate --checkpoint small.h5 --direction BtoA --input inputs --output out/small_BtoA

say "3. the wrong direction must fail clearly"
for case in "G_AtoB.h5 BtoA G_B AtoB" "G_BtoA.h5 AtoB G_A BtoA"; do
  read -r h5 dir missing other <<<"$case"
  echo "+ cyclegan translate --checkpoint $h5 --direction $dir --input inputs --output out/bad_$dir"
  "$BIN" translate --checkpoint "$h5" --direction "$dir" --input inputs --output "out/bad_$dir" >bad.out 2>bad.err
  rc=$?; msg=$(tr '\n' ' ' <bad.err); echo "  exit $rc: $msg"
  if [[ $rc != 0 ]] && grep -q "holds no $missing" bad.err && grep -q -- "--direction $other" bad.err \
     && [[ ! -e "out/bad_$dir" ]]; then
    helper record "wrong direction $h5 --direction $dir" "exit $rc, nothing written: ${msg% }"
  else
    helper record "wrong direction $h5 --direction $dir" "exit $rc, stderr: ${msg:-none}; output folder $( [[ -e out/bad_$dir ]] && echo exists || echo absent)" --fail
  fi
done

say "4. PyTorch on the same pixels vs our PNGs (8-bit levels)"
helper compare pretrained/latest_net_G.pth out/pre_AtoB --inputs inputs --group G_A --tag "9blocks AtoB" --controls
helper compare pretrained/horse2zebra.pth out/pre_BtoA --inputs inputs --group G_B --tag "9blocks BtoA"
helper compare small/latest_net_G_A.pth out/small_AtoB --inputs inputs --group G_A --tag "small AtoB"
helper compare small/latest_net_G_B.pth out/small_BtoA --inputs inputs --group G_B --tag "small BtoA"
helper compare pretrained/latest_net_G.pth out/pth_AtoB --inputs inputs --group G_A --tag "9blocks .pth read natively"
helper compare legacy/latest_net_G.pth out/pth_legacy --inputs inputs --group G_A --tag "9blocks legacy-format .pth natively"
helper compare small/latest_net_G_A.pth out/pth_small --inputs inputs --group G_A --tag "small batch-norm .pth natively"

say "5. h52pth and back"
run "$PY" "$CONVERT" h52pth G_AtoB.h5 -o back_AtoB --single-generator G_A &&
  helper roundtrip pretrained/latest_net_G.pth back_AtoB/latest_net_G.pth --group G_A
run "$PY" "$CONVERT" h52pth G_BtoA.h5 -o back_BtoA --single-generator G_B &&
  helper roundtrip pretrained/horse2zebra.pth back_BtoA/latest_net_G.pth --group G_B
run "$PY" "$CONVERT" h52pth small.h5 -o back_small &&
  for n in G_A G_B D_A D_B; do helper roundtrip "small/latest_net_$n.pth" "back_small/latest_net_$n.pth" --group "$n"; done

say "5b. cyclegan export: the same round trip, natively"
run "$BIN" export G_AtoB.h5 --output nback_AtoB --single_generator G_A &&
  helper roundtrip pretrained/latest_net_G.pth nback_AtoB/latest_net_G.pth --group G_A
run "$BIN" export small.h5 --output nback_small &&
  for n in G_A G_B D_A D_B; do helper roundtrip "small/latest_net_$n.pth" "nback_small/latest_net_$n.pth" --group "$n"; done

say "6. cyclegan export --onnx, run by onnxruntime"
run "$BIN" export G_AtoB.h5 --output onnx_AtoB --onnx --single_generator G_A &&
  helper onnx onnx_AtoB/latest_net_G.onnx pretrained/latest_net_G.pth out/pre_AtoB --inputs inputs --group G_A --tag "ONNX 9blocks"
run "$BIN" export small.h5 --output onnx_small --onnx &&
  helper onnx onnx_small/latest_net_G_B.onnx small/latest_net_G_B.pth out/small_BtoA --inputs inputs --group G_B --tag "ONNX small batch-norm G_B"

if [[ "${CHECK_TIMING:-1}" != 0 ]]; then
  say "timing: one 256×256 image, resnet_9blocks ngf 64"
  mkdir -p timing
  for i in 1 2 3 4; do cp inputs/photo_003.jpg "timing/t$i.jpg"; done
  # ours: the per-image time translate prints (decode + forward + PNG write), median of images 2–4
  ours_time() {  # label, env…
    local label="$1"; shift
    local t0 t1; t0=$(date +%s.%N)
    env "$@" "$BIN" translate --checkpoint G_AtoB.h5 --direction AtoB --input timing --output out/timing >timing.txt 2>&1
    t1=$(date +%s.%N)
    sed -n 's/.*(256×256, \([0-9.]*\) s)$/\1/p' timing.txt | tail -n 3 | sort -n |
      awk -v l="$label" -v t0="$t0" -v t1="$t1" '{a[NR]=$1} END {printf "%s; whole command, 4 images: %.1f s\t%s\t%s\n", l, t1 - t0, a[2], a[1]}' >>"$CHECK_TIMES"
  }
  # 2 threads: ours split each GEMM between its own 2 threads (OpenBLAS itself runs single-threaded).
  ours_time "cyclegan translate per image (decode+forward+PNG), 2 threads"
  helper time --repeats 3
fi

say "summary"
helper summary --times "$CHECK_TIMES"
status=$?
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
