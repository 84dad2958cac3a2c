#!/usr/bin/env python3
"""Renders MNIST test digits as phone photos of a digit written on paper, for measuring how well the
digit preparation copes with photos. Each output is a JPEG in OUTPUT/<label>/<index>.jpg, so that
`lenet evaluate --dataset folder:OUTPUT --test-split 1` reads the set.

What a photo gets (each drawn at random, per image, from the seed):
- the frame: 320x240 or 240x320 (or --size);
- the digit: an MNIST test digit (never trained on), its 20-pixel box scaled to 30-70% of the frame's
  shorter side, rotated up to +-12 degrees, placed anywhere at least 5% of that side from the frame's edges (off-centre);
- the paper: white, cream, yellow, blue, pink, green or grey; the ink: black, blue, red, green, purple
  or pencil grey, mixed into the paper by the digit's grey level (a little translucent for pencil);
- the light: an overall level of 45-100%, a linear gradient of up to 35% across the frame, a
  vignette, a warm or cool cast, and in 70% of the photos a shadow: a half-plane at any angle through
  a point of the frame (often across the digit), 40-75% as bright, with an edge 1-30 pixels soft;
- in 30% of the photos the paper does not reach one side of the frame: a dark table along that edge;
- defocus blur (up to 1.2 pixels), sensor grain (noise of 2-8 grey levels per channel), and JPEG
  compression at quality 55-92 with 4:2:0 chroma subsampling.

--board draws chalk (white, yellow, pale blue or pink) on a black, green or slate board instead, under
the same light, with no table.

Usage: make_photo_digits.py --output DIR [--count N] [--start I] [--seed S] [--size WxH] [--quality Q]
                            [--board] [--mnist data/MNIST/raw]
Needs numpy and Pillow. The same arguments give the same images with the same Pillow.
"""
import argparse
import gzip
import os
import struct

import numpy as np
from PIL import Image, ImageFilter

PAPERS = [(0.95, 0.95, 0.93), (0.96, 0.92, 0.78), (0.98, 0.93, 0.55), (0.80, 0.88, 0.95),
          (0.97, 0.84, 0.86), (0.85, 0.95, 0.82), (0.80, 0.80, 0.78)]
INKS = [((0.06, 0.06, 0.08), 1.0), ((0.10, 0.15, 0.55), 1.0), ((0.50, 0.05, 0.08), 1.0),
        ((0.05, 0.35, 0.15), 1.0), ((0.30, 0.10, 0.45), 1.0), ((0.30, 0.30, 0.33), 0.85)]
# --board: chalk on a blackboard, a green board or a dark grey slate (light ink on a dark ground).
BOARDS = [(0.08, 0.09, 0.09), (0.10, 0.22, 0.16), (0.18, 0.20, 0.22), (0.12, 0.14, 0.20)]
CHALKS = [((0.92, 0.92, 0.90), 0.9), ((0.95, 0.93, 0.70), 0.85), ((0.80, 0.88, 0.95), 0.8), ((0.95, 0.80, 0.82), 0.85)]


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows, cols)
    return np.frombuffer(data, np.uint8, offset=8)


def find(folder, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    raise SystemExit(f"{folder}: no {name}[.gz]")


def render(digit, rng, size, board=False):
    width, height = size
    if rng.random() < 0.5:
        width, height = height, width
    shorter = min(width, height)
    # The digit: MNIST's 20-pixel box becomes `box` pixels.
    box = rng.uniform(0.30, 0.70) * shorter
    side = max(8, int(round(28 * box / 20)))
    alpha = Image.fromarray(digit).resize((side, side), Image.BICUBIC)
    alpha = alpha.rotate(rng.uniform(-12, 12), resample=Image.BICUBIC, expand=True)
    a = np.asarray(alpha, np.float32) / 255
    rows, cols = np.nonzero(a > 0.02)
    a = a[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    return photograph(a, rng, width, height, board)


def photograph(a, rng, width, height, board=False):
    """The coverage `a` (0 paper, 1 full ink), written on paper (or a board) somewhere in a
    `width` x `height` frame and photographed: the paper, ink, table, light, shadow, blur and grain
    described above."""
    shorter = min(width, height)
    ah, aw = a.shape
    # The table along one edge, if any, and where the digit may go.
    table = None
    margin = int(0.05 * shorter)
    x_low, x_high, y_low, y_high = margin, width - aw - margin, margin, height - ah - margin
    if rng.random() < 0.3:
        edge = rng.integers(4)
        depth = int(rng.uniform(0.05, 0.15) * (width if edge < 2 else height))
        table = (edge, depth)
        if edge == 0:
            x_low = depth + margin
        elif edge == 1:
            x_high = width - depth - aw - margin
        elif edge == 2:
            y_low = depth + margin
        else:
            y_high = height - depth - ah - margin
    x0 = int(rng.integers(max(0, min(x_low, x_high)), max(0, max(x_low, x_high)) + 1))
    y0 = int(rng.integers(max(0, min(y_low, y_high)), max(0, max(y_low, y_high)) + 1))
    coverage = np.zeros((height, width), np.float32)
    coverage[y0:y0 + ah, x0:x0 + aw] = a
    # Reflectance: the ink mixed into the paper.
    papers, inks = (BOARDS, CHALKS) if board else (PAPERS, INKS)
    paper = np.array(papers[rng.integers(len(papers))], np.float32)
    ink, opacity = inks[rng.integers(len(inks))]
    ink = np.array(ink, np.float32)
    mix = np.clip(coverage * 1.15, 0, 1)[..., None] * opacity
    reflectance = paper * (1 - mix) + ink * mix
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    if table is not None and not board:
        edge, depth = table
        inside = [xs < depth, xs >= width - depth, ys < depth, ys >= height - depth][edge]
        wood = np.array([0.25, 0.17, 0.11], np.float32) * rng.uniform(0.5, 1.2)
        reflectance[inside] = wood
    # The light: a level, a gradient, a vignette, a cast, a shadow.
    level = rng.uniform(0.45, 1.0)
    angle = rng.uniform(0, 2 * np.pi)
    gradient = rng.uniform(0, 0.35)
    u = ((xs - width / 2) * np.cos(angle) + (ys - height / 2) * np.sin(angle)) / max(width, height)
    light = level * (1 + gradient * u)
    r2 = ((xs - width / 2) ** 2 + (ys - height / 2) ** 2) / ((width / 2) ** 2 + (height / 2) ** 2)
    light *= 1 - rng.uniform(0, 0.3) * r2
    if rng.random() < 0.7:
        theta = rng.uniform(0, 2 * np.pi)
        px, py = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
        distance = (xs - px) * np.cos(theta) + (ys - py) * np.sin(theta)
        softness = rng.uniform(1, 30)
        darkness = 1 - rng.uniform(0.40, 0.75)
        light *= 1 - darkness * 0.5 * (1 + np.tanh(distance / (softness / 2)))
    cast = np.array([1.0, 1.0, 1.0], np.float32) + rng.uniform(-0.08, 0.08) * np.array([1, 0, -1], np.float32)
    rgb = reflectance * light[..., None] * cast * 255
    picture = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    blur = rng.uniform(0, 1.2)
    if blur > 0.2:
        picture = picture.filter(ImageFilter.GaussianBlur(blur))
    noisy = np.asarray(picture, np.float32) + rng.normal(0, rng.uniform(2, 8), (height, width, 3))
    return Image.fromarray(np.clip(np.round(noisy), 0, 255).astype(np.uint8))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--start", type=int, default=0, help="the first MNIST test image")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--quality", type=int, help="the JPEG quality (default: 55-92 at random)")
    parser.add_argument("--board", action="store_true", help="chalk on a dark board instead of ink on paper (no table)")
    parser.add_argument("--mnist", default=os.path.join(os.path.dirname(__file__), "..", "data", "MNIST", "raw"))
    args = parser.parse_args()
    images = read_idx(find(args.mnist, "t10k-images-idx3-ubyte"))
    labels = read_idx(find(args.mnist, "t10k-labels-idx1-ubyte"))
    size = tuple(int(v) for v in args.size.split("x"))
    for label in range(10):
        os.makedirs(os.path.join(args.output, str(label)), exist_ok=True)
    for index in range(args.start, args.start + args.count):
        rng = np.random.default_rng([args.seed, index])
        photo = render(images[index], rng, size, board=args.board)
        quality = int(rng.integers(55, 93))
        if args.quality:
            quality = args.quality
        path = os.path.join(args.output, str(labels[index]), f"{index:05d}.jpg")
        photo.save(path + ".tmp", "JPEG", quality=quality, subsampling=2)
        os.replace(path + ".tmp", path)
    print(f"{args.count} photos of MNIST test digits {args.start}..{args.start + args.count - 1} in {args.output}")


if __name__ == "__main__":
    main()
