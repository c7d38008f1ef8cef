#!/usr/bin/env bash
# Does bf16 pay on this CPU? Measures, per core, the peak multiply-accumulate rate of AVX512_BF16's dot
# product against AVX-512 FMA on f32 (throughput.c), then oneDNN's batched matmul in f32 and in bf16 on
# the shape of a Winograd convolution's GEMMs in the 256² generator (matmul.c; 36 × 256·256·256), on 1 and
# 2 threads; then (shapes.c) bf16 and f32 matmul on the generator's im2col GEMM shapes, all four
# transpositions, one thread, as `--precision bf16` prepares them. Where bf16 is not faster here,
# `--precision bf16` cannot be either.
# Usage: Scripts/bf16-probe/run.sh [BATCH M K N]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
need=()
command -v gcc >/dev/null || need+=(gcc)
[[ -f /usr/include/oneapi/dnnl/dnnl.h ]] || need+=(libdnnl-dev)
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
out="${TMPDIR:-/tmp}/bf16-probe"
mkdir -p "$out"
gcc -O2 "$HERE/throughput.c" -o "$out/throughput"
gcc -O2 "$HERE/matmul.c" -o "$out/matmul" -ldnnl -fopenmp
gcc -O2 "$HERE/shapes.c" -o "$out/shapes" -ldnnl
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); AMX: $(grep -o 'amx_[a-z0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' ' || true)"
"$out/throughput"
shape=("${@:-36 256 256 256}")
for threads in 1 2; do OMP_NUM_THREADS=$threads "$out/matmul" ${shape[@]}; done
# M N K transA transB: forward, input gradient (Aᵀ) and weight gradient (Bᵀ) of 64² and 256² layers
for s in "64 4096 576 0 0" "64 4096 576 0 1" "576 4096 64 1 0" "256 4096 2304 0 0" "2304 1024 256 1 0" \
         "256 2304 1024 0 1"; do
  OMP_NUM_THREADS=1 "$out/shapes" $s
done
