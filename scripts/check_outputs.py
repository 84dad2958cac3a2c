"""Opens what `lenet train` wrote with the standard tools of the Python world, so that CI proves the
files are what they claim to be: the PNGs with Pillow, the logits with numpy.load, the checkpoint with
the official safetensors library (numpy backend: PyTorch's names, shapes and dtype).

  python3 scripts/check_outputs.py RUN_FOLDER LOGITS.npy
"""
import glob, os, re, sys
import numpy as np
from PIL import Image
from safetensors.numpy import load_file

run, logits_path = sys.argv[1], sys.argv[2]
pngs = sorted(glob.glob(os.path.join(run, "*.png")))
assert len(pngs) == 20, "expected 20 PNGs, found %d" % len(pngs)
for path in pngs:
    image = Image.open(path)
    image.load()
    assert image.size == (28, 28) and image.mode == "L", (path, image.size, image.mode)
    m = re.match(r"(in)?correct_(\d+)_label_(\d)_predicted_(\d)\.png", os.path.basename(path))
    assert m and (m.group(1) is None) == (m.group(3) == m.group(4)), path
print("Pillow opened %d PNGs of 28x28 greyscale" % len(pngs))

logits = np.load(logits_path)
assert logits.dtype == np.float32 and logits.shape == (10000, 10), (logits.dtype, logits.shape)
print("numpy loaded the logits: %s %s" % (logits.dtype, logits.shape))

state = load_file(os.path.join(run, "model.safetensors"))
expected = {"conv1.weight": (6, 1, 5, 5), "conv1.bias": (6,), "conv2.weight": (16, 6, 5, 5), "conv2.bias": (16,),
            "fc1.weight": (120, 256), "fc1.bias": (120,), "fc2.weight": (84, 120), "fc2.bias": (84,),
            "fc3.weight": (10, 84), "fc3.bias": (10,)}
assert {k: v.shape for k, v in state.items()} == expected, {k: v.shape for k, v in state.items()}
assert all(v.dtype == np.float32 for v in state.values())
print("safetensors loaded the checkpoint with PyTorch's state_dict names and shapes")

# The report's numbers agree with the evaluation: recompute them from the logits and MNIST's labels.
import gzip, json
labels_path = os.path.join(os.path.dirname(__file__), "..", "data", "MNIST", "raw", "t10k-labels-idx1-ubyte.gz")
labels = np.frombuffer(gzip.open(labels_path).read()[8:], dtype=np.uint8).astype(int)
predictions = logits.argmax(axis=1)
metrics = json.load(open(os.path.join(run, "metrics.json")))
analysis = metrics["analysis"]
assert analysis["correct"] == int((predictions == labels).sum()), (analysis["correct"], int((predictions == labels).sum()))
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (labels, predictions), 1)
assert analysis["confusion"] == confusion.tolist()
for c, entry in enumerate(analysis["classes"]):
    recall = confusion[c, c] / confusion[c].sum()
    assert abs(entry["recall"] - recall) < 1e-12, (c, entry["recall"], recall)
wrong = np.nonzero(predictions != labels)[0]
assert [m["index"] for m in metrics["misclassified"]] == wrong.tolist()
report = open(os.path.join(run, "report.md")).read()
assert "Test Accuracy of the model on the 10000 test images: %.2f%%" % (100 * analysis["accuracy"]) in report
html = open(os.path.join(run, "report.html")).read()
assert html.count("<figure>") == len(wrong) and "<script" not in html
print("metrics.json, report.md and report.html agree with the logits: %d correct, %d misclassified shown"
      % (analysis["correct"], len(wrong)))
