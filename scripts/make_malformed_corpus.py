"""Writes the crafted files of the malformed corpus that are made by program rather than by hand:
.npy headers whose shapes are negative or overflow, and resume checkpoints whose counts
overflow or lie outside their schedule. Each must give a clear error (Tests/LeNetTests/Fixtures/
malformed/expected.json), never a trap.

  python3 scripts/make_malformed_corpus.py [Tests/LeNetTests/Fixtures/malformed]

Needs only the standard library.
"""
import json, os, struct, sys

out = sys.argv[1] if len(sys.argv) > 1 else "Tests/LeNetTests/Fixtures/malformed"


def npy(name, shape_text, data):
    header = ("{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % shape_text).encode()
    header += b" " * ((64 - (10 + len(header) + 1) % 64) % 64) + b"\n"
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data)


npy("negative-shape.npy", "(-1, 4)", b"\0" * 16)
npy("overflowing-shape.npy", "(4294967296, 4294967296, 4294967296)", b"\0" * 4)


def safetensors(name, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for key, shape in tensors:
        count = 1
        for d in shape:
            count *= d
        header[key] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + 4 * count]}
        offset += 4 * count
        blobs.append(b"\0" * (4 * count))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(os.path.join(out, name), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


layout = [("conv1.weight", [6, 1, 5, 5]), ("conv1.bias", [6]), ("conv2.weight", [16, 6, 5, 5]), ("conv2.bias", [16]),
          ("fc1.weight", [120, 256]), ("fc1.bias", [120]), ("fc2.weight", [84, 120]), ("fc2.bias", [84]),
          ("fc3.weight", [10, 84]), ("fc3.bias", [10])]
parameters = sum(eval("*".join(map(str, s))) for _, s in layout)
# A run's settings and state, as `RunCheckpoint` writes them (JSON with snake_case keys).
run = {"model": "lenet5", "optimizer": "sgd", "dataset": "mnist", "data_root": "./data", "training_images": 640,
       "class_names": [str(d) for d in range(10)], "options": {},
       "recipe": {"batch_size": 64, "log_interval": 100, "momentum": 0.9, "seed": 0,
                  "schedule": [{"epochs": 2, "learning_rate": 0.0005}]}}
state = {"epochs_done": 0, "phase": 0, "epoch_in_phase": 1, "batch": 3, "shuffle": [1, 2, 3, 4], "distortions": [5, 6, 7, 8],
         "optimizer_steps": 3, "running": 0, "epoch_total": 0, "passes": []}


def changed(document, path, value):
    """A deep copy of `document` with the field at `path` (keys and indices) set to `value`."""
    document = json.loads(json.dumps(document))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


def resume_metadata(run_document, state_document, version="2"):
    return {"format": "pt", "model": "lenet5", "resume": version,
            "run": json.dumps(run_document, separators=(",", ":")), "run_state": json.dumps(state_document, separators=(",", ":"))}


tensors = layout + [("optimizer.velocity", [parameters])]
for name, metadata in [
    ("overflowing-epochs.resume.safetensors", resume_metadata(run, changed(state, ["epochs_done"], 2 ** 63 - 1))),
    ("batch-past-epoch.resume.safetensors", resume_metadata(run, changed(state, ["batch"], 1000000))),
    ("huge-batch-size.resume.safetensors", resume_metadata(changed(run, ["recipe", "batch_size"], 2 ** 62), state)),
    ("overflowing-schedule.resume.safetensors",
     resume_metadata(changed(run, ["recipe", "schedule"], [{"epochs": 2 ** 63 - 1, "learning_rate": 0.1}] * 2), state)),
    ("earlier-layout.resume.safetensors", dict(resume_metadata(run, state, version="1"))),
    ("state-not-json.resume.safetensors", dict(resume_metadata(run, state), run_state="{\"epochs_done\": ")),
    ("generator-not-four-words.resume.safetensors", resume_metadata(run, changed(state, ["shuffle"], [1, 2]))),
]:
    safetensors(name, tensors, metadata)
print("wrote the crafted .npy and resume files into", out)
