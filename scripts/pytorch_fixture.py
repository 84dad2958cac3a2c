"""Makes the PyTorch-trained fixture that `swift test` checks our evaluator against.

Trains the write-up's LeNet-5 in PyTorch for one epoch at lr 0.0005 (seed 0), saves its state_dict as
safetensors and its logits on the 10,000 MNIST test images as .npy, and prints its accuracy.

  python3 scripts/pytorch_fixture.py [--data data/MNIST/raw] [--out Tests/LeNetTests/Fixtures]

Needs torch, numpy, safetensors (see ../shared/anchors/README.md). Run once; the outputs are committed.
"""
import argparse, gzip, os
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from safetensors.torch import save_file

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="data/MNIST/raw")
ap.add_argument("--out", default="Tests/LeNetTests/Fixtures")
args = ap.parse_args()
torch.manual_seed(0)

def idx(name):
    raw = gzip.open(os.path.join(args.data, name + ".gz")).read()
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd)]
    return torch.from_numpy(np.frombuffer(raw[4 + 4 * nd:], np.uint8).reshape(dims).copy())

def normalize(u8):  # ToTensor + Normalize((0.5,), (0.5,))
    return u8.unsqueeze(1).float().div(255).sub(0.5).div(0.5)

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
        x = x.view(-1, 256)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

x_train, y_train = normalize(idx("train-images-idx3-ubyte")), idx("train-labels-idx1-ubyte").long()
x_test, y_test = normalize(idx("t10k-images-idx3-ubyte")), idx("t10k-labels-idx1-ubyte").long()
net = LeNet5()
opt = torch.optim.SGD(net.parameters(), lr=0.0005, momentum=0.9)
perm = torch.randperm(len(x_train))
for s in range(0, len(x_train), 64):
    b = perm[s:s + 64]
    opt.zero_grad()
    F.cross_entropy(net(x_train[b]), y_train[b]).backward()
    opt.step()
with torch.no_grad():
    logits = torch.cat([net(x_test[s:s + 1000]) for s in range(0, len(x_test), 1000)])
correct = int((logits.argmax(1) == y_test).sum())
os.makedirs(args.out, exist_ok=True)
save_file({k: v.contiguous() for k, v in net.state_dict().items()}, os.path.join(args.out, "pytorch-trained.safetensors"),
          metadata={"about": "write-up LeNet-5 trained by PyTorch %s, 1 epoch, lr 0.0005, seed 0; test correct %d" % (torch.__version__, correct)})
np.save(os.path.join(args.out, "pytorch-trained-logits.npy"), logits.numpy().astype("<f4"))
print("PyTorch %s: %d of %d test images correct" % (torch.__version__, correct, len(y_test)))
