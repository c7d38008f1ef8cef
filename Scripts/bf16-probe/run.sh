#!/usr/bin/env bash
# Does bf16 pay on this CPU? Measures, per core, the peak multiply-accumulate rate of AVX512_BF16's dot
# product against AVX-512 FMA on f32 (throughput.c), then oneDNN's batched matmul in f32 and in bf16 on
# the shape of a Winograd convolution's GEMMs in the 256² generator (matmul.c; 36 × 256·256·256), on 1 and
# 2 threads. Where bf16 is not faster here, `--precision bf16` cannot be either (issue 16).
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
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); AMX: $(grep -o 'amx_[a-z0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' ' || true)"
"$out/throughput"
shape=("${@:-36 256 256 256}")
for threads in 1 2; do OMP_NUM_THREADS=$threads "$out/matmul" ${shape[@]}; done
