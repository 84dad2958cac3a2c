"""Makes the PyTorch golden batch that `swift test` checks the write-up's LeNet-5 against, tensor by tensor.

One batch of the first 16 MNIST training images (normalized as torchvision's ToTensor + Normalize((0.5,),
(0.5,)) does), PyTorch's default initial weights after manual_seed(0), and:
  input [16,1,28,28], labels [16] (int64), init.<name> (every parameter, state_dict names and shapes),
  logits [16,10], probabilities [16,10], loss [1] (mean cross-entropy),
  grad.<name> after one backward,
  sgd.after5.<name>: the weights after 5 steps of SGD (lr 0.01, momentum 0.9) on the same batch,
  sgd.losses [5]: the loss before each of those steps.

  python3 scripts/pytorch_golden.py [--data data/MNIST/raw] [--out Tests/LeNetTests/Fixtures/pytorch-golden.safetensors]

Needs torch, numpy, safetensors:  python3 -m venv ~/torch && ~/torch/bin/pip install torch numpy safetensors
Run once; the output is committed. The metadata records the PyTorch version that made it.
"""
import argparse
import torch, torch.nn.functional as F
from safetensors.torch import save_file
from writeup_lenet import LeNet5, normalize, read_idx

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="data/MNIST/raw")
ap.add_argument("--out", default="Tests/LeNetTests/Fixtures/pytorch-golden.safetensors")
args = ap.parse_args()
torch.manual_seed(0)

net = LeNet5()
x = normalize(read_idx(args.data, "train-images-idx3-ubyte")[:16]).contiguous()
y = read_idx(args.data, "train-labels-idx1-ubyte")[:16].long()
tensors = {"input": x, "labels": y}
tensors.update({"init." + k: v.detach().clone() for k, v in net.state_dict().items()})

logits = net(x)
loss = F.cross_entropy(logits, y)
loss.backward()
tensors.update(logits=logits.detach(), probabilities=F.softmax(logits, dim=1).detach(), loss=loss.detach().reshape(1))
tensors.update({"grad." + k: p.grad.detach().clone() for k, p in net.named_parameters()})

net.zero_grad()
optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
losses = []
for _ in range(5):
    optimizer.zero_grad()
    step_loss = F.cross_entropy(net(x), y)
    losses.append(step_loss.item())
    step_loss.backward()
    optimizer.step()
tensors.update({"sgd.after5." + k: v.detach().clone() for k, v in net.state_dict().items()})
tensors["sgd.losses"] = torch.tensor(losses, dtype=torch.float32)

save_file({k: v.contiguous() for k, v in tensors.items()}, args.out, metadata={
    "about": "the write-up's LeNet-5: one batch of the first 16 MNIST training images, PyTorch default init "
             "(manual_seed 0), mean cross-entropy; grad.* after one backward; sgd.after5.* after 5 steps of SGD "
             "lr=0.01 momentum=0.9 on the same batch; sgd.losses = the loss before each step",
    "torch": torch.__version__,
    "made_by": "python3 scripts/pytorch_golden.py"})
print("wrote %s: loss %.6f, PyTorch %s" % (args.out, loss.item(), torch.__version__))
