"""Loads a checkpoint written by `lenet train` into the write-up's PyTorch model and compares PyTorch's
test logits with the ones `lenet` wrote (--logits).

  python3 scripts/pytorch_loads_ours.py RUN/model.safetensors LOGITS.npy [--data data/MNIST/raw]
"""
import argparse, gzip, os
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from safetensors.torch import load_file

ap = argparse.ArgumentParser()
ap.add_argument("checkpoint")
ap.add_argument("logits")
ap.add_argument("--data", default="data/MNIST/raw")
args = ap.parse_args()

def idx(name):
    raw = gzip.open(os.path.join(args.data, name + ".gz")).read()
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd)]
    return torch.from_numpy(np.frombuffer(raw[4 + 4 * nd:], np.uint8).reshape(dims).copy())

class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool1 = nn.AvgPool2d(2, divisor_override=1)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.AvgPool2d(2, divisor_override=1)
        self.fc1, self.fc2, self.fc3 = nn.Linear(256, 120), nn.Linear(120, 84), nn.Linear(84, 10)
    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x.view(-1, 256))))))

net = LeNet5()
net.load_state_dict(load_file(args.checkpoint))  # strict: every name and shape must match
x = idx("t10k-images-idx3-ubyte").unsqueeze(1).float().div(255).sub(0.5).div(0.5)
y = idx("t10k-labels-idx1-ubyte").long()
with torch.no_grad():
    logits = net(x).numpy()
ours = np.load(args.logits)
print("PyTorch: %d of %d correct; largest difference from lenet's logits: %.3g"
      % ((logits.argmax(1) == y.numpy()).sum(), len(y), abs(logits - ours).max()))
