"""The write-up's LeNet-5 and recipe in PyTorch at its best on a CPU (the whole data set preloaded as one
normalized tensor, no DataLoader), for side-by-side measurements with `lenet` in one run (scripts/bench.sh).

  python3 scripts/pytorch_anchor.py train [--epochs-scale F] [--data DIR] [--threads N] [--save FILE.safetensors]
  python3 scripts/pytorch_anchor.py infer --checkpoint FILE.safetensors [--data DIR]

train runs the write-up's schedule (2x0.0005, 3x0.0002, 3x0.0001, 4x0.00005, 8x0.00001; SGD momentum 0.9,
batch 64, cross-entropy); --epochs-scale 0.1 trains on a tenth of each epoch's images, for a quick ratio.
infer times batches of 1, 64 and 1000 over the test set. The last line printed is a JSON summary.

Needs torch and numpy (safetensors for --save/--checkpoint):
  python3 -m venv ~/torch-anchor && ~/torch-anchor/bin/pip install torch numpy safetensors
"""
import argparse, json, os, resource, statistics, time
import torch, torch.nn as nn
from writeup_lenet import LeNet5, normalize, read_idx

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("mode", choices=["train", "infer"])
ap.add_argument("--data", default=os.path.join(here, "..", "data", "MNIST", "raw"))
ap.add_argument("--epochs-scale", type=float, default=1.0)
ap.add_argument("--threads", type=int, default=0)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--save")
ap.add_argument("--checkpoint")
args = ap.parse_args()
if args.threads:
    torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

start = time.perf_counter()
x_test, y_test = normalize(read_idx(args.data, "t10k-images-idx3-ubyte")).contiguous(), read_idx(args.data, "t10k-labels-idx1-ubyte").long()
net = LeNet5()
summary = {"torch": torch.__version__, "threads": torch.get_num_threads()}

if args.mode == "train":
    x_train = normalize(read_idx(args.data, "train-images-idx3-ubyte")).contiguous()
    y_train = read_idx(args.data, "train-labels-idx1-ubyte").long()
    summary["load_s"] = round(time.perf_counter() - start, 3)
    n = int(len(x_train) * args.epochs_scale) if args.epochs_scale < 1 else len(x_train)
    criterion, seen, t1 = nn.CrossEntropyLoss(), 0, time.perf_counter()
    for count, lr in [(2, 0.0005), (3, 0.0002), (3, 0.0001), (4, 0.00005), (8, 0.00001)]:
        optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
        for epoch in range(count):
            order, running = torch.randperm(len(x_train))[:n], 0.0
            for i, s in enumerate(range(0, n, 64)):
                batch = order[s:s + 64]
                optimizer.zero_grad()
                loss = criterion(net(x_train[batch]), y_train[batch])
                loss.backward()
                optimizer.step()
                running += loss.item()
                seen += len(batch)
                if i % 100 == 99:
                    print("[%s, %d, %5d] loss: %.3f" % (lr, epoch + 1, i + 1, running / 100))
                    running = 0.0
    seconds = time.perf_counter() - t1
    summary.update(train_s=round(seconds, 3), train_images=seen, train_img_per_s=round(seen / seconds))
    if args.save:
        from safetensors.torch import save_file
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, args.save)
else:
    from safetensors.torch import load_file
    net.load_state_dict(load_file(args.checkpoint))
    with torch.no_grad():
        for batch_size in (1, 64, 1000):
            n = 2000 if batch_size == 1 else len(x_test)
            times = []
            for _ in range(5):
                t1 = time.perf_counter()
                for s in range(0, n, batch_size):
                    net(x_test[s:s + batch_size])
                times.append(time.perf_counter() - t1)
            summary["infer_img_per_s_batch%d" % batch_size] = round(n / statistics.median(times))
with torch.no_grad():
    logits = torch.cat([net(x_test[s:s + 1000]) for s in range(0, len(x_test), 1000)])
correct = int((logits.argmax(1) == y_test).sum())
summary.update(test_correct=correct, test_accuracy=round(100 * correct / len(y_test), 2),
               peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
print("Test Accuracy of the model on the %d test images: %.2f%%" % (len(y_test), 100 * correct / len(y_test)))
print(json.dumps(summary))
