#!/usr/bin/env python3
"""Writes handwritten numbers for measuring `lenet read`: 2 to 6 MNIST test digits (never trained on)
side by side, as a number is written. Every picture is OUT/<group>/<n>-<digits>.png (or .jpg), so
the digits it shows are in its name.

Each number: its digits drawn from the part's MNIST test digits, each cropped to its ink (pixels > 30)
and scaled, keeping its shape, to the number's height H (28-84 pixels); each next digit placed after
the last with a gap drawn from the group's range (a share of H, negative where digits overlap), on a
baseline that wanders by up to 6% of H a digit (within 15% of H in all); where digits overlap, the
darker ink shows.

Groups (COUNT pictures each, 100 by default):
  spaced    gaps of 15-50% of H
  close     gaps of 0-10% of H
  touching  gaps of -12% to -2% of H: the digits' boxes overlap, and most digits touch a neighbour
  photos    gaps of 5-50% of H, the number written on paper (or, a fifth of them, chalk on a board)
            and photographed as scripts/make_photo_digits.py photographs a digit: 640x480 or 480x640,
            the number 35-85% of the frame's width, under uneven light and shadow, with blur, grain
            and JPEG compression

The plain groups vary what a generator tends to fix: three in four are dark ink on white and one in
four light on black; the margin round the number is 0-60% of H (a tight crop in one of five).

Two draws, from different digits: `--part tuning` (MNIST test digits 0-4999) was looked at while the
reader was written; `--part held-out` (5000-9999) was not, and its figures are the ones reported.

Usage: make_number_sets.py --output DIR [--part held-out|tuning] [--count N] [--groups a,b]
                           [--mnist data/MNIST/raw]
Needs numpy and Pillow. The same arguments give the same files."""
import argparse
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_photo_digits import find, photograph, read_idx  # noqa: E402

GROUPS = {"spaced": (0.15, 0.50), "close": (0.0, 0.10), "touching": (-0.12, -0.02), "photos": (0.05, 0.50)}


def compose(images, labels, pool, rng, gaps, height):
    """(coverage 0...1, digits): a number of 2-6 digits from `pool`, each scaled to `height`."""
    count = int(rng.integers(2, 7))
    chosen = rng.choice(pool, count, replace=False)
    pieces, baseline, wander = [], 0.0, 0.06 * height
    for index in chosen:
        digit = images[index]
        ys, xs = np.nonzero(digit > 30)
        ink = digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        h, w = ink.shape
        width = max(1, int(round(w * height / h)))
        scaled = np.asarray(Image.fromarray(ink).resize((width, height), Image.BILINEAR), np.float32) / 255
        baseline = float(np.clip(baseline + rng.uniform(-wander, wander), -0.15 * height, 0.15 * height))
        pieces.append((scaled, int(round(baseline))))
    positions, x = [], 0
    for i, (piece, _) in enumerate(pieces):
        positions.append(x)
        if i + 1 < len(pieces):
            x += piece.shape[1] + int(round(rng.uniform(*gaps) * height))
            x = max(x, positions[-1] + 1)
    top = min(b for _, b in pieces)
    total_width = max(p + piece.shape[1] for p, (piece, _) in zip(positions, pieces))
    total_height = max(b - top + piece.shape[0] for piece, b in pieces)
    coverage = np.zeros((total_height, total_width), np.float32)
    for x, (piece, b) in zip(positions, pieces):
        y = b - top
        region = coverage[y:y + piece.shape[0], x:x + piece.shape[1]]
        np.maximum(region, piece, out=region)
    return coverage, "".join(str(labels[i]) for i in chosen)


def plain(coverage, rng, height):
    """A drawing or scan: dark on white (or, one in four, light on black), with a margin."""
    margin = 0 if rng.random() < 0.2 else int(round(rng.uniform(0.1, 0.6) * height))
    h, w = coverage.shape
    canvas = np.zeros((h + 2 * margin, w + 2 * margin), np.float32)
    canvas[margin:margin + h, margin:margin + w] = coverage
    light_ink = rng.random() < 0.25
    grey = canvas if light_ink else 1 - canvas
    return Image.fromarray(np.round(grey * 255).astype(np.uint8))


def photo(coverage, rng):
    width, height = (640, 480) if rng.random() < 0.5 else (480, 640)
    h, w = coverage.shape
    target = rng.uniform(0.35, 0.85) * width * 0.9
    factor = min(target / w, 0.6 * height / h)
    size = (max(1, int(round(w * factor))), max(1, int(round(h * factor))))
    a = np.asarray(Image.fromarray(np.round(coverage * 255).astype(np.uint8)).resize(size, Image.BICUBIC), np.float32) / 255
    return photograph(a, rng, width, height, board=rng.random() < 0.2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--part", choices=["held-out", "tuning"], default="held-out")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--groups", default=",".join(GROUPS))
    parser.add_argument("--mnist", default=os.path.join(os.path.dirname(__file__), "..", "data", "MNIST", "raw"))
    args = parser.parse_args()
    images = read_idx(find(args.mnist, "t10k-images-idx3-ubyte"))
    labels = read_idx(find(args.mnist, "t10k-labels-idx1-ubyte"))
    pool = np.arange(5000) + (0 if args.part == "tuning" else 5000)
    for number, group in enumerate(GROUPS):
        if group not in args.groups.split(","):
            continue
        folder = os.path.join(args.output, group)
        os.makedirs(folder, exist_ok=True)
        for n in range(args.count):
            rng = np.random.default_rng([number, n, 0 if args.part == "tuning" else 1])
            height = int(rng.integers(28, 85))
            coverage, digits = compose(images, labels, pool, rng, GROUPS[group], height)
            if group == "photos":
                path = os.path.join(folder, f"{n:04d}-{digits}.jpg")
                picture = photo(coverage, rng)
                picture.save(path + ".tmp", "JPEG", quality=int(rng.integers(55, 93)), subsampling=2)
            else:
                path = os.path.join(folder, f"{n:04d}-{digits}.png")
                plain(coverage, rng, height).save(path + ".tmp", "PNG")
            os.replace(path + ".tmp", path)
    print(f"{args.count} numbers per group ({args.groups}) from the {args.part} part in {args.output}")


if __name__ == "__main__":
    main()
