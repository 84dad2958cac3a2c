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
