"""Loads a checkpoint written by `lenet train` into the write-up's PyTorch model and compares PyTorch's
test logits with the ones `lenet` wrote (--logits).

  python3 scripts/pytorch_loads_ours.py RUN/model.safetensors LOGITS.npy [--data data/MNIST/raw]
"""
import argparse
import numpy as np
import torch
from safetensors.torch import load_file
from writeup_lenet import LeNet5, normalize, read_idx

ap = argparse.ArgumentParser()
ap.add_argument("checkpoint")
ap.add_argument("logits")
ap.add_argument("--data", default="data/MNIST/raw")
args = ap.parse_args()

net = LeNet5()
net.load_state_dict(load_file(args.checkpoint))  # strict: every name and shape must match
x = normalize(read_idx(args.data, "t10k-images-idx3-ubyte"))
y = read_idx(args.data, "t10k-labels-idx1-ubyte").long()
with torch.no_grad():
    logits = net(x).numpy()
ours = np.load(args.logits)
print("PyTorch: %d of %d correct; largest difference from lenet's logits: %.3g"
      % ((logits.argmax(1) == y.numpy()).sum(), len(y), abs(logits - ours).max()))
