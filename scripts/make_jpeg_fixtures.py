#!/usr/bin/env python3
"""Writes the JPEG decoder's test files with Pillow (libjpeg-turbo) and, beside each `name.jpg`, the
pixels Pillow decodes from it as `name.rgb` or `name.grey` (raw 8-bit, row by row, upright: EXIF
orientation applied), with `name.size` holding "WIDTH HEIGHT CHANNELS".

Pictures: a 61x47 colour scene (gradients, a dark digit-like stroke, a coloured patch; odd sizes so
blocks and MCUs are partial), in baseline 4:4:4, 4:2:2 and 4:2:0, greyscale, with restart markers
every MCU row and every 3 MCUs, each of the 8 EXIF orientations (4:2:0), a progressive file (refused
by name), and truncated and corrupted copies (clear errors).

Run: `python3 scripts/make_jpeg_fixtures.py Tests/ImagingTests/Fixtures/jpeg` (Pillow installed).
"""
import math
import os
import sys

from PIL import Image, ImageDraw, ImageOps


def scene(width=61, height=47):
    image = Image.new("RGB", (width, height))
    pixels = image.load()
    for y in range(height):
        for x in range(width):
            pixels[x, y] = (int(200 + 40 * math.sin(x / 7)) % 256, int(180 + 3 * y) % 256, int(150 + 2 * x - y) % 256)
    draw = ImageDraw.Draw(image)
    draw.line([(18, 8), (30, 6), (34, 20), (20, 38), (38, 38)], fill=(20, 20, 60), width=4)
    draw.rectangle([44, 30, 56, 42], fill=(200, 30, 40))
    return image


def write(folder, name, image, reference=None, **options):
    path = os.path.join(folder, name + ".jpg")
    image.save(path, "JPEG", quality=90, **options)
    decoded = Image.open(path)
    decoded.load()
    upright = ImageOps.exif_transpose(decoded) if reference is None else reference
    kind = "grey" if upright.mode == "L" else "rgb"
    with open(os.path.join(folder, name + "." + kind), "wb") as f:
        f.write(upright.tobytes())
    with open(os.path.join(folder, name + ".size"), "w") as f:
        f.write("%d %d %d\n" % (upright.width, upright.height, 1 if kind == "grey" else 3))
    return path


def main(folder):
    os.makedirs(folder, exist_ok=True)
    picture = scene()
    write(folder, "baseline-444", picture, subsampling=0)
    write(folder, "baseline-422", picture, subsampling=1)
    path = write(folder, "baseline-420", picture, subsampling=2)
    write(folder, "grey", picture.convert("L"))
    write(folder, "restart-rows", picture, subsampling=2, restart_marker_rows=1)
    write(folder, "restart-blocks", picture, subsampling=0, restart_marker_blocks=3)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        write(folder, "orientation-%d" % orientation, picture, subsampling=2, exif=exif.tobytes())
    picture.save(os.path.join(folder, "progressive.jpg"), "JPEG", quality=90, progressive=True)
    data = open(path, "rb").read()
    open(os.path.join(folder, "truncated.jpg"), "wb").write(data[: len(data) // 2])
    corrupt = bytearray(data)
    start = corrupt.index(b"\xff\xda")
    for k in range(start + 20, len(corrupt) - 2, 7):
        if corrupt[k] != 0xFF and corrupt[k - 1] != 0xFF:
            corrupt[k] ^= 0x5A
    open(os.path.join(folder, "corrupt.jpg"), "wb").write(bytes(corrupt))


if __name__ == "__main__":
    main(sys.argv[1])
