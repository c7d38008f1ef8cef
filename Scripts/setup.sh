#!/usr/bin/env bash
# Installs the system libraries (idempotent: apt runs only when a package is missing), then builds the
# release binary .build/release/cyclegan. Usage: Scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev libpng-dev libhdf5-dev libturbojpeg0-dev libtiff-dev libcairo2-dev fonts-dejavu-core pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}…"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${1:-}" != "--no-build" ]; then
  echo "Building cyclegan (release)…"
  swift build -c release --product cyclegan 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' || true
  test -x .build/release/cyclegan || { echo "build failed" >&2; exit 1; }
  echo "Built .build/release/cyclegan"
fi
