#!/usr/bin/env bash
# Creates (idempotently) the PyTorch reference environment at <repo>/.venv-torch
# with torch, h5py, numpy and Pillow (for check_pretrained.py), and torchvision, pytorch-fid, torch-fidelity, scipy
# and scikit-image (for make_eval_fixtures.py) from plain PyPI. Re-running is a no-op once the
# imports work. Usage: Scripts/pytorch/setup_venv.sh [--force]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv-torch"
PY="${PYTHON:-python3}"

if [[ "${1:-}" != "--force" && -x "$VENV/bin/python" ]] && \
   "$VENV/bin/python" -c 'import torch, h5py, numpy, PIL, torchvision, pytorch_fid, torch_fidelity, scipy, skimage' 2>/dev/null; then
  echo "setup_venv: $VENV is ready ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
start=$(date +%s)
# Only plain PyPI is reachable: the default Linux torch wheel may pull CUDA
# runtime wheels as dependencies. They are large but harmless on a CPU machine.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check torch h5py numpy pillow onnx onnxruntime \
  pytorch-fid torch-fidelity scipy scikit-image torchvision tifffile tensorboard
end=$(date +%s)
"$VENV/bin/python" -c 'import torch, h5py, numpy, PIL, onnxruntime, torchvision, pytorch_fid, torch_fidelity, scipy, skimage; print("torch", torch.__version__, "h5py", h5py.__version__, "numpy", numpy.__version__, "Pillow", PIL.__version__, "onnxruntime", onnxruntime.__version__, "torchvision", torchvision.__version__, "pytorch-fid", pytorch_fid.__version__, "torch-fidelity", torch_fidelity.__version__, "scipy", scipy.__version__, "scikit-image", skimage.__version__)'
echo "setup_venv: install took $((end - start)) s; venv size $(du -sh "$VENV" | cut -f1)"
