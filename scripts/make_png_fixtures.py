#!/usr/bin/env python3
"""Writes the PNG decoder's test files: every colour type and bit depth of the standard, with and
without Adam7 interlacing, every filter type (row y of each pass uses filter (y + pass) % 5), tRNS
transparency, and sizes where some Adam7 passes are empty. Beside each `name.png`, `name.rgba` holds
the expected pixels as 8-bit RGBA (16-bit samples rounded: (v*255 + 32767) // 65535; 1/2/4-bit
samples scaled: v * 255 // (2^d - 1)).

The encoder here is written from the PNG specification independently of the Swift decoder, and
every file is checked against Pillow's decoder before it is written (run with Pillow installed:
`python3 scripts/make_png_fixtures.py Tests/ImagingTests/Fixtures/png`).
"""
import os
import struct
import sys
import zlib

from PIL import Image

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(values, depth):
    if depth == 8:
        return bytes(values)
    if depth == 16:
        return b"".join(struct.pack(">H", v) for v in values)
    out, acc, bits = bytearray(), 0, 0
    for v in values:
        acc = (acc << depth) | v
        bits += depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_rows(rows, bpp, first_filter):
    out, previous = bytearray(), bytes(len(rows[0])) if rows else b""
    for y, row in enumerate(rows):
        kind = (y + first_filter) % 5
        out.append(kind)
        for x, value in enumerate(row):
            a = row[x - bpp] if x >= bpp else 0
            b = previous[x]
            c = previous[x - bpp] if x >= bpp else 0
            predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            out.append((value - predictor) & 0xFF)
        previous = row
    return bytes(out)


def encode(width, height, colour, depth, pixels, interlace, palette=None, trns=None):
    """pixels[y][x] is a tuple of samples."""
    samples = SAMPLES[colour]
    bpp = max(1, samples * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = bytearray()
    for index, (x0, y0, dx, dy) in enumerate(passes):
        xs, ys = list(range(x0, width, dx)), list(range(y0, height, dy))
        if not xs or not ys:
            continue
        rows = [pack_row([s for x in xs for s in pixels[y][x]], depth) for y in ys]
        raw += filter_rows(rows, bpp, index)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 1 if interlace else 0))
    data += chunk(b"tEXt", b"Comment\x00an ancillary chunk the decoder skips")
    if palette is not None:
        data += chunk(b"PLTE", b"".join(bytes(p) for p in palette))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    compressed = zlib.compress(bytes(raw), 9)
    # Two IDAT chunks: the stream may be split anywhere.
    data += chunk(b"IDAT", compressed[: len(compressed) // 2]) + chunk(b"IDAT", compressed[len(compressed) // 2:])
    return data + chunk(b"IEND", b"")


def scale(v, depth):
    if depth == 16:
        return (v * 255 + 32767) // 65535
    m = (1 << depth) - 1
    return (v * 255 + m // 2) // m


def expected_rgba(width, height, colour, depth, pixels, palette, trns_key, trns_alpha):
    out = bytearray()
    for y in range(height):
        for x in range(width):
            p = pixels[y][x]
            if colour == 3:
                r, g, b = palette[p[0]]
                a = trns_alpha[p[0]] if trns_alpha and p[0] < len(trns_alpha) else 255
            elif colour in (0, 4):
                r = g = b = scale(p[0], depth)
                a = scale(p[1], depth) if colour == 4 else (0 if trns_key is not None and p[0] == trns_key[0] else 255)
            else:
                r, g, b = (scale(v, depth) for v in p[:3])
                a = scale(p[3], depth) if colour == 6 else (0 if trns_key is not None and tuple(p) == tuple(trns_key) else 255)
            out += bytes([r, g, b, a])
    return bytes(out)


def pattern(width, height, colour, depth, entries=None):
    top = (1 << depth) - 1 if colour != 3 else entries - 1
    return [[tuple(((x * 7 + y * 13 + s * 29 + x * y) * (1 if depth < 8 else 37)) % (top + 1) for s in range(SAMPLES[colour]))
             for x in range(width)] for y in range(height)]


def main(folder):
    os.makedirs(folder, exist_ok=True)
    cases = []
    for colour, depths in [(0, [1, 2, 4, 8, 16]), (2, [8, 16]), (3, [1, 2, 4, 8]), (4, [8, 16]), (6, [8, 16])]:
        for depth in depths:
            for interlace in (False, True):
                cases.append((f"c{colour}d{depth}{'i' if interlace else 'n'}", 13, 11, colour, depth, interlace, None))
    # Sizes where Adam7 passes are empty, and a one-pixel image.
    for w, h in [(1, 1), (2, 3), (5, 1)]:
        cases.append((f"c2d8i_{w}x{h}", w, h, 2, 8, True, None))
    cases += [("c0d8n_trns", 9, 7, 0, 8, False, "key"), ("c2d16i_trns", 9, 7, 2, 16, True, "key"),
              ("c3d4n_trns", 9, 7, 3, 4, False, "alpha"), ("c3d8i_trns", 10, 9, 3, 8, True, "alpha")]
    for name, w, h, colour, depth, interlace, transparency in cases:
        palette = None
        entries = None
        if colour == 3:
            entries = min(1 << depth, 11)
            palette = [((i * 53) % 256, (i * 101 + 40) % 256, (255 - i * 23) % 256) for i in range(entries)]
        pixels = pattern(w, h, colour, depth, entries)
        trns, key, alphas = None, None, None
        if transparency == "key":
            key = pixels[1][2]
            trns = b"".join(struct.pack(">H", v) for v in key)
        elif transparency == "alpha":
            alphas = [(i * 40) % 256 for i in range(entries - 2)]  # fewer entries than the palette
            trns = bytes(alphas)
        data = encode(w, h, colour, depth, pixels, interlace, palette, trns)
        expected = expected_rgba(w, h, colour, depth, pixels, palette, key, alphas)
        path = os.path.join(folder, name + ".png")
        with open(path, "wb") as f:
            f.write(data)
        with open(os.path.join(folder, name + ".rgba"), "wb") as f:
            f.write(expected)
        decoded = Image.open(path)
        decoded.load()
        if colour in (0, 2) and depth == 16 and transparency:
            continue  # Pillow drops tRNS on 16-bit images; the key pixel is checked by the Swift test.
        if decoded.mode.startswith("I"):
            # Pillow keeps 16-bit grey as integers: compare the samples themselves, scaled as we do.
            values = [decoded.getpixel((x, y)) for y in range(h) for x in range(w)]
            rgba = b"".join(bytes([scale(v, 16)] * 3 + [255]) for v in values)
        else:
            rgba = decoded.convert("RGBA").tobytes()
        worst = max(abs(a - b) for a, b in zip(rgba, expected))
        # Pillow truncates 16-bit samples to their high byte where we round: allow 1.
        assert len(rgba) == len(expected) and worst <= (1 if depth == 16 else 0), (name, worst)
        print(f"{name}.png: {w}x{h} colour {colour} depth {depth} {'Adam7' if interlace else ''} matches Pillow (max diff {worst})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/ImagingTests/Fixtures/png")
