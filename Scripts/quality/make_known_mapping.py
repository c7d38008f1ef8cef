#!/usr/bin/env python3
"""A translation task whose answer is known: photo crops (domain A) against other crops of the same photos
under a fixed colour and tone transform T (domain B), unpaired as CycleGAN needs. testA/ holds crops of the
test photos and truth/ holds T of each, under the same names, so that `cyclegan evaluate --truth` measures
how well G_A learned T (PSNR, SSIM).

T(x) = clip(M · x^0.8 + b) per pixel, x in [0, 1]: a gamma that lifts the mid-tones, then a warm colour mix.

Usage: make_known_mapping.py --photos Data/photo2painting --out DIR [--crop 72] [--seed 1]
(reads PHOTOS/trainA and PHOTOS/testA; writes DIR/trainA, trainB, testA, truth)
"""
import argparse
import os
import random

import numpy as np
from PIL import Image

GAMMA = 0.8
MIX = np.array([[1.05, 0.10, 0.00],
                [0.00, 0.95, 0.05],
                [0.00, 0.05, 0.80]], dtype=np.float64)
OFFSET = np.array([0.02, 0.00, 0.03])


def transform(pixels):
    """uint8 [H, W, 3] → uint8 [H, W, 3], T applied."""
    x = (pixels.astype(np.float64) / 255.0) ** GAMMA
    y = np.clip(x @ MIX.T + OFFSET, 0.0, 1.0)
    return np.round(y * 255.0).astype(np.uint8)


def crops(path, count, size, rng):
    image = np.asarray(Image.open(path).convert("RGB"))
    h, w, _ = image.shape
    if h < size or w < size:
        raise SystemExit(f"{path}: {w}×{h} is smaller than the {size}² crops: give a smaller --crop")
    for _ in range(count):
        top, left = rng.randrange(h - size + 1), rng.randrange(w - size + 1)
        yield image[top:top + size, left:left + size]


def photos(folder):
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg", ".png")))
    if not names:
        raise SystemExit(f"{folder} holds no .jpg or .png photos")
    return [os.path.join(folder, n) for n in names]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--crop", type=int, default=72)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for sub in ("trainA", "trainB", "testA", "truth"):
        os.makedirs(os.path.join(args.out, sub), exist_ok=True)
    # Training: of each photo, one crop as it is (A) and another, elsewhere, under T (B).
    for i, path in enumerate(photos(os.path.join(args.photos, "trainA"))):
        a, b = crops(path, 2, args.crop, rng)
        Image.fromarray(a).save(os.path.join(args.out, "trainA", f"crop_{i:03d}.png"))
        Image.fromarray(transform(b)).save(os.path.join(args.out, "trainB", f"crop_{i:03d}.png"))
    # Test: two crops of each test photo, and T of each under the same name.
    for i, path in enumerate(photos(os.path.join(args.photos, "testA"))):
        for j, a in enumerate(crops(path, 2, args.crop, rng)):
            name = f"crop_{i:03d}_{j}.png"
            Image.fromarray(a).save(os.path.join(args.out, "testA", name))
            Image.fromarray(transform(a)).save(os.path.join(args.out, "truth", name))
    print(f"known mapping: {args.out}/trainA, trainB, testA and truth ({args.crop}² crops)")


if __name__ == "__main__":
    main()
