#!/usr/bin/env python3
"""Makes the small image fixtures of Tests/CodecsTests/Fixtures.

Usage:  python3 Scripts/make_codec_fixtures.py        (from the package root; rewrites the fixtures)

PNGs are written by the tiny encoder below (Python's zlib + struct only, no libpng), so the Swift tests
check libpng-based decoding against an independent writer. The raw samples here are the tests' oracle:
Tests/CodecsTests/PNGTests.swift repeats them as literals. JPEGs need `cjpeg` (Debian:
apt-get install libjpeg-turbo-progs); PIL is not used.
"""
import os
import struct
import subprocess
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "CodecsTests", "Fixtures")

GRAY, RGB, PALETTE, GRAY_ALPHA, RGBA = 0, 2, 3, 4, 6
CHANNELS = {GRAY: 1, RGB: 3, PALETTE: 1, GRAY_ALPHA: 2, RGBA: 4}


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(samples, bit_depth):
    """One scanline of samples (ints) at bit_depth 1, 2, 4, 8 or 16, without the filter byte."""
    if bit_depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if bit_depth == 8:
        return bytes(samples)
    out, acc, nbits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << bit_depth) | s
        nbits += bit_depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png(path, width, height, color_type, bit_depth, pixels, palette=None, trns=None, interlace=False, extra=b""):
    """pixels: rows of pixels; each pixel is a tuple of samples (one per channel). Filter 0 throughout."""
    raw = bytearray()
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            xs = list(range(x0, width, dx))
            if not xs:
                continue
            for y in range(y0, height, dy):
                raw.append(0)
                raw += pack_row([s for x in xs for s in pixels[y][x]], bit_depth)
    else:
        for row in pixels:
            raw.append(0)
            raw += pack_row([s for p in row for s in p], bit_depth)
    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlace else 0))
    data += extra
    if palette is not None:
        data += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    data += chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    data += chunk(b"IEND", b"")
    with open(os.path.join(OUT, path), "wb") as f:
        f.write(data)


def libpng_scale_16(v):
    """png_do_scale_16_to_8 (pngrtran.c), to check our expected values against libpng's arithmetic."""
    hi, lo = v >> 8, v & 0xFF
    return hi + (((lo - hi + 128) * 65535) >> 24)


def rounded_8(v):
    return (v * 255 + 32767) // 65535


def main():
    os.makedirs(OUT, exist_ok=True)

    # 16-bit gray: expected 8-bit values are round(v * 255 / 65535); none of these is a tie.
    gray16 = [0, 5049, 32768, 65535, 25700, 128, 1000, 40000]
    for v in gray16:
        assert libpng_scale_16(v) == rounded_8(v), v
    png("gray16.png", 8, 1, GRAY, 16, [[(v,) for v in gray16]])

    # 16-bit RGBA: alpha dropped, colour scaled.
    rgba16 = [[(65535, 0, 5049, 0), (1000, 40000, 32768, 65535)]]
    for p in rgba16[0]:
        for v in p:
            assert libpng_scale_16(v) == rounded_8(v), v
    png("rgba16.png", 2, 1, RGBA, 16, rgba16)

    # 8-bit gray + alpha.
    png("gray_alpha.png", 3, 1, GRAY_ALPHA, 8, [[(10, 0), (128, 128), (250, 255)]])

    # 8-bit RGBA with a gAMA chunk (1/2.2): colours must come back unchanged (no compositing, no gamma).
    gama = chunk(b"gAMA", struct.pack(">I", 45455))
    png("rgba.png", 2, 2, RGBA, 8,
        [[(255, 0, 0, 0), (0, 255, 0, 128)], [(0, 0, 255, 255), (12, 34, 56, 7)]], extra=gama)

    # 2-bit palette with tRNS on the first two entries.
    palette = [(255, 0, 0), (0, 128, 255), (10, 20, 30), (200, 200, 200)]
    png("palette_trns.png", 5, 2, PALETTE, 2,
        [[(0,), (1,), (2,), (3,), (0,)], [(3,), (2,), (1,), (0,), (1,)]],
        palette=palette, trns=bytes([0, 128]))

    # 2-bit gray with tRNS (gray level 1 transparent): values 0, 85, 170, 255.
    png("gray2_trns.png", 4, 1, GRAY, 2, [[(0,), (1,), (2,), (3,)]], trns=struct.pack(">H", 1))

    # 1-bit gray.
    bits = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1]
    png("gray1.png", 10, 1, GRAY, 1, [[(b,) for b in bits]])

    # Adam7-interlaced 8-bit RGB, 9x7: pixel (x, y) = (28x, 40y, 7xy mod 256).
    png("interlaced_rgb.png", 9, 7, RGB, 8,
        [[(28 * x, 40 * y, (7 * x * y) % 256) for x in range(9)] for y in range(7)], interlace=True)

    # JPEGs, by cjpeg (libjpeg-turbo-progs), quality 95.
    try:
        # 32x16 RGB: left half (200, 40, 40), right half (30, 90, 220); 4:4:4 so colours stay flat.
        ppm = b"P6 32 16 255\n" + b"".join(
            bytes((200, 40, 40) if x < 16 else (30, 90, 220)) for y in range(16) for x in range(32))
        jpg = subprocess.run(["cjpeg", "-quality", "95", "-sample", "1x1", "-optimize"],
                             input=ppm, capture_output=True, check=True).stdout
        open(os.path.join(OUT, "colors.jpg"), "wb").write(jpg)
        # 16x16 gray: left half 64, right half 192.
        pgm = b"P5 16 16 255\n" + b"".join(bytes([64 if x < 8 else 192]) for y in range(16) for x in range(16))
        jpg = subprocess.run(["cjpeg", "-quality", "95", "-grayscale"],
                             input=pgm, capture_output=True, check=True).stdout
        open(os.path.join(OUT, "gray.jpg"), "wb").write(jpg)
    except FileNotFoundError:
        sys.exit("cjpeg not found: apt-get install libjpeg-turbo-progs (the PNG fixtures were written)")
    pnm()
    bmp()
    print("fixtures written to", OUT)


def pnm():
    """Seeds of the image fuzz test (FuzzTests.images) for the PGM/PPM reader: binary RGB with a comment,
    16-bit gray (maxval 1000), text gray (maxval 100). PNMTests checks the reader on bytes of its own."""
    import random
    r = random.Random(3)
    with open(os.path.join(OUT, "rgb.ppm"), "wb") as f:
        f.write(b"P6\n# made for the fuzz corpus\n8 6\n255\n" + bytes(r.randrange(256) for _ in range(8 * 6 * 3)))
    with open(os.path.join(OUT, "gray16.pgm"), "wb") as f:
        f.write(b"P5 5 4 1000\n" + b"".join(r.randrange(1001).to_bytes(2, "big") for _ in range(20)))
    with open(os.path.join(OUT, "text.pgm"), "wb") as f:
        f.write(("P2\n6 2\n100\n" + " ".join(str(r.randrange(101)) for _ in range(12)) + "\n").encode())


def bmp():
    """Seeds of the image fuzz test for the BMP reader: 24-bit bottom-up 5x3 (rows padded) and an 8-bit palette
    4x2 image. BMPTests checks the reader on bytes of its own."""
    import random
    import struct
    r = random.Random(4)

    def write(name, width, height, bpp, palette, rows):
        info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bpp, 0, 0, 0, 0, len(palette), 0)
        pal = b"".join(bytes([b, g, rr, 0]) for rr, g, b in palette)
        pixels = b"".join(row + b"\0" * ((4 - len(row) % 4) % 4) for row in rows)
        offset = 14 + len(info) + len(pal)
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + info + pal + pixels)

    write("rgb24.bmp", 5, 3, 24, [], [bytes(r.randrange(256) for _ in range(15)) for _ in range(3)])
    palette = [(r.randrange(256), r.randrange(256), r.randrange(256)) for _ in range(6)]
    write("palette8.bmp", 4, 2, 8, palette, [bytes(r.randrange(6) for _ in range(4)) for _ in range(2)])


if __name__ == "__main__":
    main()
