"""The write-up's own training pipeline in PyTorch, for the side-by-side speed ratio: torchvision's
MNIST dataset with ToTensor + Normalize((0.5,), (0.5,)) and a shuffled DataLoader of batch 64, the
write-up's LeNet-5, cross-entropy and SGD with momentum 0.9 over its schedule. --epochs-scale F stops
each epoch after a fraction F of its batches. Prints a JSON summary as its last line.

  python scripts/pytorch_writeup_pipeline.py [--epochs-scale 0.25] [--data data/MNIST/raw]

Needs torch and torchvision. The gzipped files are decompressed into a temporary torchvision root.
"""
import argparse, gzip, json, os, resource, shutil, tempfile, time
import torch, torch.nn as nn
from torchvision import datasets, transforms
from writeup_lenet import LeNet5

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="data/MNIST/raw")
ap.add_argument("--epochs-scale", type=float, default=1.0)
args = ap.parse_args()
torch.manual_seed(0)

root = tempfile.mkdtemp()
os.makedirs(os.path.join(root, "MNIST", "raw"))
for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
    with gzip.open(os.path.join(args.data, name + ".gz")) as src, open(os.path.join(root, "MNIST", "raw", name), "wb") as dst:
        shutil.copyfileobj(src, dst)

transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
trainset = datasets.MNIST(root=root, train=True, download=False, transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=64, shuffle=True)

net, criterion = LeNet5(), nn.CrossEntropyLoss()
limit = int(len(trainloader) * args.epochs_scale)
seen, start = 0, time.perf_counter()
for count, lr in [(2, 0.0005), (3, 0.0002), (3, 0.0001), (4, 0.00005), (8, 0.00001)]:
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    for epoch in range(count):
        running_loss = 0.0
        for i, (inputs, labels) in enumerate(trainloader):
            if i >= limit:
                break
            optimizer.zero_grad()
            loss = criterion(net(inputs), labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            seen += len(labels)
            if i % 100 == 99:
                print('[%s, %d, %5d] loss: %.3f' % (lr, epoch + 1, i + 1, running_loss / 100))
                running_loss = 0.0
seconds = time.perf_counter() - start
shutil.rmtree(root)
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "train_images": seen,
                  "train_s": round(seconds, 3), "train_img_per_s": round(seen / seconds),
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
