#!/usr/bin/env bash
# Installs the system libraries (idempotent: apt runs only when a package is missing), then builds the
# release binary .build/release/cyclegan. Usage: Scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev libpng-dev libhdf5-dev libturbojpeg0-dev libtiff-dev libcairo2-dev fonts-dejavu-core pkg-config)
# oneDNN, for --precision bf16 only (opened at run time): where the distribution has no package for this
# architecture, the build goes on without it and bf16 says so.
optional=(libdnnl-dev)
missing=() optional_missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
for p in "${optional[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || optional_missing+=("$p"); done
if [ $(( ${#missing[@]} + ${#optional_missing[@]} )) -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  for p in "${optional_missing[@]}"; do
    if apt-cache show "$p" >/dev/null 2>&1; then missing+=("$p"); else echo "($p is not packaged here: --precision bf16 will be unavailable)"; fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]}…"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

if [ "${1:-}" != "--no-build" ]; then
  echo "Building cyclegan (release)…"
  swift build -c release --product cyclegan 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' || true
  test -x .build/release/cyclegan || { echo "build failed" >&2; exit 1; }
  echo "Built .build/release/cyclegan"
fi
