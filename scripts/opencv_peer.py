#!/usr/bin/env python3
"""A peer for the reader: the preparation most MNIST tutorials pair with OpenCV, and the same
network run in numpy from the same safetensors file, so the two preparations are compared with the
same model. The preparation: grey, a 3x3 Gaussian blur, Otsu's threshold with the ink the minority
class (either polarity), the bounding box of the outer contours at least a tenth the area of the
largest, scaled to fit 20x20 by area averaging, placed in 28x28 with its centre of mass at the centre.

Usage: opencv_peer.py MODEL.safetensors FOLDER...   (each FOLDER/<label>/<picture>, as
       make_reader_sets.py writes them)
Prints, per folder, `name right/total` and the mean time per picture. Needs numpy, safetensors and
opencv-python-headless. Importable: `prepare(grey)` and `LeNet(path).classify(x)`."""
import os
import sys
import time

import cv2
import numpy as np
from safetensors.numpy import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reader_sets import pictures  # noqa: E402,F401


def prepare(grey):
    """uint8 HxW -> float32 28x28 (ink 1, paper 0), or None when no ink is found."""
    blurred = cv2.GaussianBlur(grey, (3, 3), 0)
    _, binary = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if (binary > 0).mean() > 0.5:
        binary = 255 - binary
    if binary.max() == 0:
        return None
    dark_ink = np.mean(blurred[binary > 0]) < np.mean(blurred[binary == 0])
    ink = np.where(binary > 0, 255 - blurred if dark_ink else blurred, 0).astype(np.uint8)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    largest = max(cv2.contourArea(c) for c in contours)
    x, y, w, h = cv2.boundingRect(np.concatenate([c for c in contours if cv2.contourArea(c) >= 0.1 * largest]))
    scale = 20.0 / max(w, h)
    box = cv2.resize(ink[y:y + h, x:x + w], (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    moments = cv2.moments(box)
    cx, cy = (moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]) if moments["m00"] else (box.shape[1] / 2, box.shape[0] / 2)
    x0 = int(np.clip(round(14 - cx), 0, 28 - box.shape[1]))
    y0 = int(np.clip(round(14 - cy), 0, 28 - box.shape[0]))
    out = np.zeros((28, 28), np.float32)
    out[y0:y0 + box.shape[0], x0:x0 + box.shape[1]] = box / 255.0
    return out


class LeNet:
    """The write-up's LeNet-5 (conv 1->6 5x5, ReLU, 2x2 sum pooling, conv 6->16 5x5, ReLU, sum pooling,
    256->120->84->10) from its PyTorch state_dict names, in numpy."""

    def __init__(self, path):
        self.p = load_file(path)

    @staticmethod
    def convolve(x, weight, bias):
        channels, height, width = x.shape
        k = weight.shape[2]
        columns = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))  # C, H', W', k, k
        return np.einsum("chwij,ocij->ohw", columns, weight) + bias[:, None, None]

    @staticmethod
    def sum_pool(x):
        c, h, w = x.shape
        return x.reshape(c, h // 2, 2, w // 2, 2).sum(axis=(2, 4))

    def logits(self, ink):
        x = ((ink - 0.5) / 0.5)[None].astype(np.float32)
        x = self.sum_pool(np.maximum(self.convolve(x, self.p["conv1.weight"], self.p["conv1.bias"]), 0))
        x = self.sum_pool(np.maximum(self.convolve(x, self.p["conv2.weight"], self.p["conv2.bias"]), 0))
        x = x.reshape(-1)
        x = np.maximum(self.p["fc1.weight"] @ x + self.p["fc1.bias"], 0)
        x = np.maximum(self.p["fc2.weight"] @ x + self.p["fc2.bias"], 0)
        return self.p["fc3.weight"] @ x + self.p["fc3.bias"]

    def classify(self, ink):
        return int(np.argmax(self.logits(ink)))


def read_folder(net, folder):
    right = total = 0
    spent = 0.0
    for path, label in pictures(folder):
        start = time.perf_counter()
        grey = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        ink = prepare(grey) if grey is not None else None
        answer = str(net.classify(ink)) if ink is not None else None
        spent += time.perf_counter() - start
        right += answer == label
        total += 1
    return right, total, spent / max(total, 1)


if __name__ == "__main__":
    net = LeNet(sys.argv[1])
    for folder in sys.argv[2:]:
        right, total, seconds = read_folder(net, folder)
        print(f"{os.path.basename(folder.rstrip('/'))} {right}/{total} {1000 * seconds:.2f} ms")
