#!/usr/bin/env bash
# Measures this project and the PyTorch anchor side by side, in one run, on this machine, and prints
# the ratios (the machines are shared and noisy: compare ratios from one run, never times from two).
#
#   scripts/bench.sh              # SCALE=0.25: PyTorch trains on a quarter of each of the 20 epochs
#   FULL=1 scripts/bench.sh       # also the full recipe as whole commands, lenet train against the
#                                 # PyTorch anchor's 20 epochs (about 3 minutes more)
#
# Inference is measured in turns: `lenet bench --inference-only`, then the anchor's, three times, both
# with the shipped model's weights; the table shows the turn with the median ratio and every turn's.
#
# Then training on a busy machine: scripts/busy_bench.sh (the default thread count against one
# thread, with 0, 1 and every core held by another process).
#
# It also builds the portable binary (LENET_PORTABLE=1, no CPU-specific flags, in .build-portable)
# and measures it beside the native one, and times one pass of the 1998 model.
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
echo "the portable build (LENET_PORTABLE=1) and its bench..." >&2
LENET_PORTABLE=1 swift build -c release --product lenet --scratch-path .build-portable >/dev/null
.build-portable/release/lenet bench --json > "$out/portable.json"
echo "the 1998 model, one pass (60,000 patterns and both error measurements)..." >&2
.build/release/lenet train --model lenet5-1998 --passes 1 --output "$out/run1998" 2>&1 | grep '^pass' > "$out/pass1998.txt"
if [ "${FULL:-0}" = 1 ]; then
    echo "the full recipe, whole commands: lenet train, then the PyTorch anchor's 20 epochs..." >&2
    /usr/bin/time -f '%e %M' -o "$out/ours-full.txt" .build/release/lenet train --output "$out/full" > /dev/null
    /usr/bin/time -f '%e %M' -o "$out/torch-full.txt" "$PY" "$ANCHOR" train --epochs-scale 1 > /dev/null
fi
echo "lenet train (one epoch, for the peak memory of training)..." >&2
/usr/bin/time -f '%M' -o "$out/ours-train-rss.txt" .build/release/lenet train --schedule 1x0.0005 --output "$out/run" > /dev/null
echo "PyTorch anchor, training (--epochs-scale $SCALE)..." >&2
"$PY" "$ANCHOR" train --epochs-scale "$SCALE" | tail -1 > "$out/torch-train.json"
echo "PyTorch, the write-up's DataLoader pipeline (--epochs-scale $SCALE)..." >&2
"$PY" scripts/pytorch_writeup_pipeline.py --epochs-scale "$SCALE" | tail -1 > "$out/torch-writeup.json"
# Inference in turns, ours then PyTorch's, three times, both with the shipped model's weights: each
# turn's ratio compares two measurements seconds apart, and the table shows the median turn.
for turn in 1 2 3; do
    echo "inference in turns ($turn of 3): lenet bench --inference-only, then the PyTorch anchor's..." >&2
    .build/release/lenet bench --inference-only --json > "$out/ours-infer-$turn.json"
    "$PY" "$ANCHOR" infer --checkpoint models/lenet5-mnist.safetensors | tail -1 > "$out/torch-infer-$turn.json"
done

python3 - "$out" <<'PYTHON'
import json, sys, os, statistics
out = sys.argv[1]
ours = json.load(open(os.path.join(out, "ours.json")))
train = json.load(open(os.path.join(out, "torch-train.json")))
writeup = json.load(open(os.path.join(out, "torch-writeup.json")))
turns = [(json.load(open(os.path.join(out, "ours-infer-%d.json" % t))), json.load(open(os.path.join(out, "torch-infer-%d.json" % t))))
         for t in (1, 2, 3)]
ours_rss = int(open(os.path.join(out, "ours-train-rss.txt")).read().split()[-1]) / 1024
rows = [
    ("training, images/s", ours["trainImagesPerSecond"], train["train_img_per_s"]),
    ("training vs the write-up's DataLoader pipeline, images/s", ours["trainImagesPerSecond"], writeup["train_img_per_s"]),
]
print("| what | lenet (Swift) | PyTorch %s, preloaded | ratio |" % train["torch"])
print("|---|---|---|---|")
for name, a, b in rows:
    print("| %s | %.0f | %.0f | %.2fx |" % (name, a, b, a / b))
# Inference: the turn with the median ratio, and every turn's ratio.
for batch in ("1000", "64", "1"):
    ratios = [a / b for a, b in ((o["imagesPerSecond"][batch], t["infer_img_per_s_batch" + batch]) for o, t in turns)]
    a, b = sorted(((o["imagesPerSecond"][batch], t["infer_img_per_s_batch" + batch]) for o, t in turns), key=lambda p: p[0] / p[1])[1]
    print("| inference batch %s, images/s (the median of 3 turns; each turn's ratio) | %.0f | %.0f | %.2fx (%s) |"
          % (batch, a, b, a / b, ", ".join("%.2fx" % r for r in ratios)))
o, t = sorted(turns, key=lambda turn: turn[0]["singleImageMicroseconds"] * turn[1]["infer_img_per_s_batch1"])[1]
latency_torch = 1e6 / t["infer_img_per_s_batch1"]
print("| one image, microseconds (the median turn) | %.1f (median) | %.1f (mean) | %.2fx faster |" % (o["singleImageMicroseconds"], latency_torch, latency_torch / o["singleImageMicroseconds"]))
print("| peak memory while training, MB | %.0f | %.0f | %.1fx less |" % (ours_rss, train["peak_rss_mib"], train["peak_rss_mib"] / ours_rss))
print()
if os.path.exists(os.path.join(out, "ours-full.txt")):
    ours_full = open(os.path.join(out, "ours-full.txt")).read().split()
    torch_full = open(os.path.join(out, "torch-full.txt")).read().split()
    print("| the full recipe (20 epochs), whole command, s | %.1f | %.1f | %.2fx |"
          % (float(ours_full[0]), float(torch_full[0]), float(torch_full[0]) / float(ours_full[0])))
    print("| the full recipe, peak memory, MB | %.0f | %.0f | %.1fx less |"
          % (int(ours_full[1]) / 1024, int(torch_full[1]) / 1024, int(torch_full[1]) / int(ours_full[1])))
portable = json.load(open(os.path.join(out, "portable.json")))
print()
print("| the same bench | native build | portable build | native / portable |")
print("|---|---|---|---|")
for name, key in [("training, images/s", "trainImagesPerSecond")]:
    print("| %s | %.0f | %.0f | %.2fx |" % (name, ours[key], portable[key], ours[key] / portable[key]))
for batch in ["1000", "64", "1"]:
    a, b = ours["inferenceImagesPerSecond"][batch], portable["inferenceImagesPerSecond"][batch]
    print("| inference batch %s, images/s | %.0f | %.0f | %.2fx |" % (batch, a, b, a / b))
print("| the 1998 model, one pattern, us | %.1f | %.1f | %.2fx |"
      % (ours["paperPatternMicroseconds"], portable["paperPatternMicroseconds"], portable["paperPatternMicroseconds"] / ours["paperPatternMicroseconds"]))
print()
print("lenet: %s; %d threads; training at %.1f GFLOP/s (the direct convolutions' FLOP; C3 by Winograd does fewer), %.1f%% of an estimated peak of %.0f GFLOP/s (%s)"
      % (ours["build"], ours["threads"], ours["trainGFLOPPerSecond"], ours["trainPercentOfPeak"], ours["machinePeakGFLOPPerSecond"], ours["peakFormula"]))
print("lenet, one thread: a training step %.1f us per image, %.1f%% of it outside the layers"
      % (ours["oneThreadStepMicroseconds"], 100 * ours["outsideLayersShare"]))
layer_rates = ", ".join("%s %.0f%%" % (l["layer"], l["percentOfOneCore"]) for l in ours["layers"] if l.get("percentOfOneCore") is not None)
print("lenet, one thread, each layer with weights as a share of one core's peak (C3 in the direct convolution's FLOP): " + layer_rates)
fc = ours.get("fullyConnectedPercentOfOneCore", {})
if fc:
    print("lenet, the fully connected layers together: forward %.1f%%, backward %.1f%% of a core" % (fc["forward"], fc["backward"]))
print("lenet, the 1998 model: " + open(os.path.join(out, "pass1998.txt")).read().strip())
print("PyTorch: %d threads, %d training images in %.1f s" % (train["threads"], train["train_images"], train["train_s"]))
PYTHON
echo
echo "Training on a busy machine (scripts/busy_bench.sh):"
scripts/busy_bench.sh
