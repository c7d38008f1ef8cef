#!/usr/bin/env python3
"""Writes the TIFF fixtures of Tests/CodecsTests/Fixtures/tiff with tifffile (an independent writer, not
libtiff), every layout the reader takes directly plus a few it reads through libtiff's RGBA path or refuses.

Pixel values follow a formula the Swift test recomputes (TIFFTests.expected): sample (c, y, x) of a 16-bit
image is (x·37 + y·101 + c·59)·97 mod 65536, of an 8-bit one the same mod 256; images are 13×7.

    .venv-torch/bin/python Scripts/pytorch/make_tiff_fixtures.py
"""
import os

import numpy as np
import tifffile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'Tests', 'CodecsTests', 'Fixtures', 'tiff')
W, H = 13, 7


def values(channels, bits):
    c, y, x = np.meshgrid(np.arange(channels), np.arange(H), np.arange(W), indexing='ij')
    v = ((x * 37 + y * 101 + c * 59) * 97) % (1 << bits)
    return v.astype(np.uint16 if bits == 16 else np.uint8)   # [C, H, W]


def hwc(a):
    return np.ascontiguousarray(np.moveaxis(a, 0, -1))


def write(name, data, **kw):
    tifffile.imwrite(os.path.join(OUT, name), data, **kw)


os.makedirs(OUT, exist_ok=True)
write('rgb16_deflate.tif', hwc(values(3, 16)), photometric='rgb', compression='zlib')
write('rgb16_planar.tif', values(3, 16), photometric='rgb', planarconfig='separate')
write('rgb16_bigendian.tif', hwc(values(3, 16)), photometric='rgb', byteorder='>')
write('gray16_tiled.tif', values(1, 16)[0], photometric='minisblack', tile=(16, 16))
write('gray8.tif', values(1, 8)[0], photometric='minisblack')
write('gray8_miniswhite.tif', values(1, 8)[0], photometric='miniswhite')
write('rgba8.tif', hwc(np.concatenate([values(3, 8), np.full((1, H, W), 77, np.uint8)])), photometric='rgb',
      extrasamples=['unassalpha'])
write('rgb8_tiled_planar.tif', values(3, 8), photometric='rgb', planarconfig='separate', tile=(16, 16))
# Palette: index = value mod 4, colour i = (60·i, 255 − 50·i, 20·i) for i < 4, stored as 16-bit (×257).
index = (values(1, 8)[0] % 4).astype(np.uint8)
colormap = np.zeros((3, 256), np.uint16)
for i in range(4):
    colormap[:, i] = [60 * i * 257, (255 - 50 * i) * 257, 20 * i * 257]
write('palette8.tif', index, photometric='palette', colormap=colormap)
write('float32.tif', values(1, 16)[0].astype(np.float32), photometric='minisblack')
print('wrote', ', '.join(sorted(os.listdir(OUT))), 'to', OUT)
