"""Makes the PyTorch-trained fixture that `swift test` checks our evaluator against.

Trains the write-up's LeNet-5 in PyTorch for one epoch at lr 0.0005 (seed 0), saves its state_dict as
safetensors and its logits on the 10,000 MNIST test images as .npy, and prints its accuracy.

  python3 scripts/pytorch_fixture.py [--data data/MNIST/raw] [--out Tests/LeNetTests/Fixtures]

Needs torch, numpy, safetensors (python3 -m venv ~/torch-anchor && ~/torch-anchor/bin/pip install torch numpy safetensors). Run once; the outputs are committed.
"""
import argparse, os
import numpy as np
import torch, torch.nn.functional as F
from safetensors.torch import save_file
from writeup_lenet import LeNet5, normalize, read_idx

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="data/MNIST/raw")
ap.add_argument("--out", default="Tests/LeNetTests/Fixtures")
args = ap.parse_args()
torch.manual_seed(0)

x_train, y_train = normalize(read_idx(args.data, "train-images-idx3-ubyte")), read_idx(args.data, "train-labels-idx1-ubyte").long()
x_test, y_test = normalize(read_idx(args.data, "t10k-images-idx3-ubyte")), read_idx(args.data, "t10k-labels-idx1-ubyte").long()
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
