"""The write-up's LeNet-5 in PyTorch and MNIST reading, shared by the scripts beside this file."""
import gzip, os
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F


class LeNet5(nn.Module):
    """conv 1->6 5x5, ReLU, 2x2 sum pooling, conv 6->16 5x5, ReLU, sum pooling, 256->120->84->10."""
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


def read_idx(folder, name):
    """A gzipped IDX file of unsigned bytes as a uint8 tensor."""
    raw = gzip.open(os.path.join(folder, name + ".gz")).read()
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd)]
    return torch.from_numpy(np.frombuffer(raw[4 + 4 * nd:], np.uint8).reshape(dims).copy())


def normalize(u8):
    """ToTensor() then Normalize((0.5,), (0.5,)), for a [N, 28, 28] uint8 tensor."""
    return u8.unsqueeze(1).float().div(255).sub(0.5).div(0.5)
