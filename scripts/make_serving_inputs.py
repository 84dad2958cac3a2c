#!/usr/bin/env python3
"""Writes the request bodies the serving benchmark sends, into a folder:
  drawing.pgm   MNIST test digit 0 as the page sends a drawing: its 280x280 grey levels, dark ink on white
  drawing.png   the same drawing as an RGBA PNG (what the page sent before, and what canvas.toBlob gives)
  photo.jpg     MNIST test digit 1 as a 640x480 phone photo (scripts/make_photo_digits.py's rendering)
Usage: make_serving_inputs.py OUT [--mnist data/MNIST/raw]   (numpy, Pillow)"""
import argparse
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_photo_digits import find, read_idx, render  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--mnist", default="data/MNIST/raw")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)
images = read_idx(find(args.mnist, "t10k-images-idx3-ubyte"))
drawing = Image.fromarray(255 - images[0]).resize((280, 280), Image.BILINEAR)
with open(os.path.join(args.out, "drawing.pgm"), "wb") as f:
    f.write(b"P5\n280 280\n255\n" + np.asarray(drawing, np.uint8).tobytes())
drawing.convert("RGBA").save(os.path.join(args.out, "drawing.png"))
photo = render(images[1], np.random.default_rng([7, 1]), (640, 480))
photo.save(os.path.join(args.out, "photo.jpg"), "JPEG", quality=85, subsampling=2)
print("wrote drawing.pgm, drawing.png and photo.jpg in " + args.out)
