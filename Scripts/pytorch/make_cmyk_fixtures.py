#!/usr/bin/env python3
"""Writes the CMYK JPEG fixtures of Tests/CodecsTests/Fixtures with PIL, the reference's image reader:
cmyk_adobe.jpg (a 16x8 CMYK JPEG as PIL saves it: Adobe marker, inverted samples, as Photoshop writes them)
and cmyk_adobe_pil.png, what PIL's Image.open(...).convert('RGB') gives for it (the test's oracle).

    .venv-torch/bin/python Scripts/pytorch/make_cmyk_fixtures.py
"""
import os
import random

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'Tests', 'CodecsTests', 'Fixtures')

r = random.Random(5)
# Smooth-ish colours (JPEG keeps them), with full-ink and no-ink corners.
pixels = [(min(255, 16 * x + r.randrange(8)), min(255, 30 * y + r.randrange(8)), (x * y * 5) % 256, 0 if x < 8 else 90)
          for y in range(8) for x in range(16)]
image = Image.new('CMYK', (16, 8))
image.putdata(pixels)
jpg = os.path.join(OUT, 'cmyk_adobe.jpg')
image.save(jpg, quality=95, subsampling=0)
decoded = Image.open(jpg)
assert decoded.mode == 'CMYK' and 'adobe' in decoded.info, decoded.info
decoded.convert('RGB').save(os.path.join(OUT, 'cmyk_adobe_pil.png'))
print('wrote', jpg, 'and cmyk_adobe_pil.png (PIL %s)' % Image.__version__ if hasattr(Image, '__version__') else '')
