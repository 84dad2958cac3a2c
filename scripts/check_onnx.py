"""Checks `lenet export`'s ONNX files with the real tools: onnx.checker, then ONNX Runtime on the
10,000 MNIST test images against the scores `lenet evaluate --logits` wrote for the same checkpoint.

usage: check_onnx.py MODEL.onnx SCORES.npy MNIST_RAW_FOLDER
The input values are read from the model's metadata (torchvision's or the 1998 paper's); the graph
does the rest of the kind's preparation.
Prints the largest differences; fails unless every score is within 1e-4 (absolute) of lenet's, or
within 1e-4 relative to its magnitude when that is above 1, and every prediction is the same. (lenet
computes the write-up's C3 by Winograd's F(4x4, 5x5), ONNX Runtime by its own convolution: the two
round differently, 2.1e-5 relative at most on the shipped model's logits; 1e-4 is also the tolerance
of the tests that compare a PyTorch-trained checkpoint's logits with PyTorch's.)
"""
import gzip
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main(model_path, scores_path, raw):
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0]
    assert opset >= 13, opset
    assert [i.name for i in model.graph.input] == ["input"], model.graph.input
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and [d.dim_value for d in dims[1:]] == [1, 28, 28], dims
    assert json.loads(meta["class_names"]) and meta["dataset"], meta
    name = next(n for n in ("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte") if os.path.exists(os.path.join(raw, n)))
    pixels = read_idx(os.path.join(raw, name)).astype(np.float32)
    if meta.get("input_values", "torchvision" if meta["model"] == "lenet5" else "paper") == "torchvision":
        x = (pixels / 255 - 0.5) / 0.5
    else:
        x = np.float32(-0.1) + np.float32(1.275) * (pixels / 255)
    x = x[:, None, :, :].astype(np.float32)
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    outputs = np.concatenate([session.run(None, {"input": x[i:i + 1000]})[0] for i in range(0, len(x), 1000)])
    one = session.run(None, {"input": x[:1]})[0]  # the batch is dynamic
    ours = np.load(scores_path)
    assert outputs.shape == ours.shape, (outputs.shape, ours.shape)
    difference = np.abs(outputs - ours)
    relative = difference / np.maximum(1, np.abs(ours))
    smallest = model.graph.output[0].name == "penalties"
    pick = (lambda s: s.argmin(1)) if smallest else (lambda s: s.argmax(1))
    same = (pick(outputs) == pick(ours)).mean()
    print(f"{model_path} ({meta['model']}, opset {opset}): onnx.checker passed; ONNX Runtime {ort.__version__} on {len(x)} images: "
          f"largest difference {difference.max():.3g} (relative to magnitude >= 1: {relative.max():.3g}), "
          f"same predictions {same * 100:.2f}%, batch of one {np.abs(one - ours[:1]).max():.3g}")
    assert relative.max() <= 1e-4, relative.max()
    assert same == 1.0, same


if __name__ == "__main__":
    main(*sys.argv[1:4])
