#!/usr/bin/env python3
"""Writes the pictures the reader is measured on: what people crop, draw and scan, each set varying
one assumption a generator tends to make (a margin round the digit, dark ink, many pixels, a plain
background). Every set is OUT/<set>/<label>/<name>.png (or .jpg), so `lenet predict` and
`lenet evaluate --dataset folder:OUT/<set> --test-folder OUT/<set>` both read it.

The MNIST sets hold the same digits at the same scales, so that each differs from the others only in
what it varies. Two draws of each set, from different digits: `--part tuning` (MNIST test digits 0-999, optdigits
0-599) was looked at while the preparation was written; `--part held-out` (MNIST test digits
5000-9999, optdigits 1000-1796) was not, and its figures are the ones reported.

Sets (COUNT pictures each, 100 by default; optdigits 300):
  tight-dark        an MNIST digit cropped to its ink (pixels > 30), scaled 2-6x, dark on white, no margin
  tight-light       the same, white on black (MNIST's own polarity)
  margin-dark       tight-dark with a 3-pixel white margin
  margin-light      tight-light with a 3-pixel black margin
  optdigits-tight   UCI optdigits (43 writers, 8x8, 17 grey levels) at 64x64, dark on white, no margin
  optdigits-margin  the same at 96x96 with a 2-pixel margin
  lowres            an MNIST digit averaged down to 8-16 pixels, then scaled up 4-8x (blocky or smooth)
  tight-colour      tight, coloured ink on coloured paper (blue on yellow, red on green, ...)
  tight-thick       tight, strokes thickened by a pixel on each side (a 3x3 maximum) before scaling
  tight-jpeg        tight, saved as JPEG at quality 40-70
  tight-transparent tight, dark ink on a transparent background (RGBA)
  low-contrast      with a margin, ink only 25-40% darker than the paper

Usage: make_reader_sets.py --output DIR [--part held-out|tuning] [--count N] [--sets a,b,...]
                           [--mnist data/MNIST/raw]
Needs numpy and Pillow; optdigits needs scikit-learn (its load_digits data is bundled in the package).
The same arguments give the same files."""
import argparse
import os
import sys

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_photo_digits import read_idx  # noqa: E402

ALL = ["tight-dark", "tight-light", "margin-dark", "margin-light", "optdigits-tight", "optdigits-margin", "lowres",
       "tight-colour", "tight-thick", "tight-jpeg", "tight-transparent", "low-contrast"]


def pictures(folder):
    """(path, label) for every picture of a set: FOLDER/<label>/<picture>, in sorted order."""
    for label in sorted(os.listdir(folder)):
        sub = os.path.join(folder, label)
        if os.path.isdir(sub):
            for name in sorted(os.listdir(sub)):
                yield os.path.join(sub, name), label


def crop_to_ink(digit, threshold=30):
    ys, xs = np.nonzero(digit > threshold)
    return digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def scaled(ink, factor, resample=Image.BILINEAR):
    h, w = ink.shape
    return np.asarray(Image.fromarray(ink).resize((max(1, round(w * factor)), max(1, round(h * factor))), resample))


def dark_on_white(ink):
    return 255 - ink


def with_margin(picture, margin, value):
    return np.pad(picture, margin, constant_values=value)


def save(picture, folder, label, name, rng=None, jpeg=None):
    os.makedirs(os.path.join(folder, str(label)), exist_ok=True)
    image = picture if isinstance(picture, Image.Image) else Image.fromarray(picture)
    if jpeg:
        image.convert("RGB").save(os.path.join(folder, str(label), name + ".jpg"), "JPEG", quality=jpeg)
    else:
        image.save(os.path.join(folder, str(label), name + ".png"))


def mnist_set(name, images, labels, indices, factors, rng, out):
    for index, factor in zip(indices, factors):
        digit, label = images[index], int(labels[index])
        tag = f"{index:05d}"
        if name == "tight-thick":
            digit = np.asarray(Image.fromarray(digit).filter(ImageFilter.MaxFilter(3)))
        ink = crop_to_ink(digit)
        if name == "lowres":
            side = int(rng.integers(8, 17))
            h, w = digit.shape
            small = np.asarray(Image.fromarray(digit).resize((side, side), Image.BOX))
            up = int(rng.integers(4, 9))
            big = np.asarray(Image.fromarray(small).resize((side * up, side * up), Image.NEAREST if rng.random() < 0.5 else Image.BILINEAR))
            save(with_margin(dark_on_white(big), up, 255), out, label, tag)
            continue
        big = scaled(ink, factor)
        if name == "tight-dark" or name == "tight-thick":
            save(dark_on_white(big), out, label, tag)
        elif name == "tight-light":
            save(big, out, label, tag)
        elif name == "margin-dark":
            save(with_margin(dark_on_white(big), 3, 255), out, label, tag)
        elif name == "margin-light":
            save(with_margin(big, 3, 0), out, label, tag)
        elif name == "tight-jpeg":
            save(dark_on_white(big), out, label, tag, jpeg=int(rng.integers(40, 71)))
        elif name == "tight-colour":
            pairs = [((20, 40, 160), (250, 235, 120)), ((170, 20, 30), (200, 235, 190)), ((30, 30, 30), (240, 200, 210)),
                     ((10, 90, 40), (235, 235, 250)), ((250, 250, 250), (30, 60, 120))]
            ink_colour, paper = pairs[int(rng.integers(len(pairs)))]
            a = (big.astype(np.float64) / 255)[..., None]
            rgb = np.array(paper) * (1 - a) + np.array(ink_colour) * a
            save(np.clip(rgb, 0, 255).astype(np.uint8), out, label, tag)
        elif name == "tight-transparent":
            rgba = np.zeros(big.shape + (4,), np.uint8)
            rgba[..., 3] = big  # the ink is opaque black, the rest transparent
            save(Image.fromarray(rgba, "RGBA"), out, label, tag)
        elif name == "low-contrast":
            paper = rng.uniform(150, 230)
            depth = rng.uniform(0.25, 0.40)
            grey = paper * (1 - depth * big.astype(np.float64) / 255)
            save(with_margin(np.clip(grey, 0, 255).astype(np.uint8), 4, round(paper)), out, label, tag)


def optdigits_set(name, indices, rng, out):
    from sklearn.datasets import load_digits
    digits = load_digits()
    for index in indices:
        ink = (digits.images[index] * (255 / 16)).round().astype(np.uint8)
        label = int(digits.target[index])
        if name == "optdigits-tight":
            picture = dark_on_white(np.asarray(Image.fromarray(ink).resize((64, 64), Image.BILINEAR)))
        else:
            picture = with_margin(dark_on_white(np.asarray(Image.fromarray(ink).resize((92, 92), Image.BILINEAR))), 2, 255)
        save(picture, out, label, f"{index:04d}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True)
    parser.add_argument("--part", choices=["held-out", "tuning"], default="held-out")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--sets", default=",".join(ALL))
    parser.add_argument("--mnist", default="data/MNIST/raw")
    args = parser.parse_args()
    images = read_idx(os.path.join(args.mnist, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(args.mnist, "t10k-labels-idx1-ubyte.gz"))
    for number, name in enumerate(args.sets.split(",")):
        if name not in ALL:
            raise SystemExit(f"unknown set {name}; the sets: {', '.join(ALL)}")
        rng = np.random.default_rng([number, 0 if args.part == "tuning" else 1])
        out = os.path.join(args.output, name)
        if name.startswith("optdigits"):
            start = 0 if args.part == "tuning" else 1000
            optdigits_set(name, range(start, start + min(3 * args.count, 600 if args.part == "tuning" else 797)), rng, out)
        else:
            # The same digits at the same scales in every MNIST set, so that sets differ only in
            # what they vary (a tight crop and the same crop with a margin, say).
            same = np.random.default_rng([99, 0 if args.part == "tuning" else 1])
            start = 0 if args.part == "tuning" else 5000
            pool = np.sort(same.permutation(1000 if args.part == "tuning" else 5000)[:args.count] + start)
            mnist_set(name, images, labels, pool, same.uniform(2, 6, len(pool)), rng, out)
        print(f"{out}: {sum(len(files) for _, _, files in os.walk(out))} pictures")


if __name__ == "__main__":
    main()
