#!/usr/bin/env bash
# Measures this project and the PyTorch anchor side by side, in one run, on this machine, and prints
# the ratios (the machines are shared and noisy: compare ratios from one run, never times from two).
#
#   scripts/bench.sh              # SCALE=0.25: PyTorch trains on a quarter of each of the 20 epochs
#
# The PyTorch side is the project's own scripts/pytorch_anchor.py (preloaded data, PyTorch at its best)
# and scripts/pytorch_writeup_pipeline.py (the write-up's DataLoader). Install PyTorch once (about a
# minute from PyPI; the wheels take about 5 GB of disk), then point TORCH_PYTHON at it if elsewhere:
#   python3 -m venv ~/torch-anchor && ~/torch-anchor/bin/pip install torch numpy safetensors
#   ~/torch-anchor/bin/pip install --no-deps torchvision pillow
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${TORCH_PYTHON:-$HOME/torch-anchor/bin/python}
ANCHOR=${ANCHOR:-scripts/pytorch_anchor.py}
SCALE=${SCALE:-0.25}
out=$(mktemp -d)

swift build -c release >/dev/null
echo "$(date -u +%Y-%m-%dT%H:%MZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores" | tee "$out/machine.txt"

echo "lenet bench..." >&2
.build/release/lenet bench --json > "$out/ours.json"
echo "lenet train (one epoch, for the peak memory of training)..." >&2
/usr/bin/time -f '%M' -o "$out/ours-train-rss.txt" .build/release/lenet train --schedule 1x0.0005 --output "$out/run" > /dev/null
echo "PyTorch anchor, training (--epochs-scale $SCALE)..." >&2
"$PY" "$ANCHOR" train --epochs-scale "$SCALE" --save "$out/torch.safetensors" | tail -1 > "$out/torch-train.json"
echo "PyTorch, the write-up's DataLoader pipeline (--epochs-scale $SCALE)..." >&2
"$PY" scripts/pytorch_writeup_pipeline.py --epochs-scale "$SCALE" | tail -1 > "$out/torch-writeup.json"
echo "PyTorch anchor, inference..." >&2
"$PY" "$ANCHOR" infer --checkpoint "$out/torch.safetensors" | tail -1 > "$out/torch-infer.json"

python3 - "$out" <<'PYTHON'
import json, sys, os
out = sys.argv[1]
ours = json.load(open(os.path.join(out, "ours.json")))
train = json.load(open(os.path.join(out, "torch-train.json")))
writeup = json.load(open(os.path.join(out, "torch-writeup.json")))
infer = json.load(open(os.path.join(out, "torch-infer.json")))
ours_rss = int(open(os.path.join(out, "ours-train-rss.txt")).read().split()[-1]) / 1024
rows = [
    ("training, images/s", ours["trainImagesPerSecond"], train["train_img_per_s"]),
    ("training vs the write-up's DataLoader pipeline, images/s", ours["trainImagesPerSecond"], writeup["train_img_per_s"]),
    ("inference batch 1000, images/s", ours["inferenceImagesPerSecond"]["1000"], infer["infer_img_per_s_batch1000"]),
    ("inference batch 64, images/s", ours["inferenceImagesPerSecond"]["64"], infer["infer_img_per_s_batch64"]),
    ("inference batch 1, images/s", ours["inferenceImagesPerSecond"]["1"], infer["infer_img_per_s_batch1"]),
]
print("| what | lenet (Swift) | PyTorch %s, preloaded | ratio |" % train["torch"])
print("|---|---|---|---|")
for name, a, b in rows:
    print("| %s | %.0f | %.0f | %.2fx |" % (name, a, b, a / b))
latency_torch = 1e6 / infer["infer_img_per_s_batch1"]
print("| one image, microseconds | %.1f (median) | %.1f (mean) | %.2fx faster |" % (ours["singleImageMicroseconds"], latency_torch, latency_torch / ours["singleImageMicroseconds"]))
print("| peak memory while training, MB | %.0f | %.0f | %.1fx less |" % (ours_rss, train["peak_rss_mib"], train["peak_rss_mib"] / ours_rss))
print()
print("lenet: %s; %d threads; training at %.1f GFLOP/s, %.1f%% of an estimated peak of %.0f GFLOP/s"
      % (ours["build"], ours["threads"], ours["trainGFLOPPerSecond"], ours["trainPercentOfPeak"], ours["machinePeakGFLOPPerSecond"]))
print("PyTorch: %d threads, %d training images in %.1f s" % (train["threads"], train["train_images"], train["train_s"]))
PYTHON
