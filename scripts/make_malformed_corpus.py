"""Writes the crafted files of the malformed corpus that are made by program rather than by hand:
.npy headers whose shapes are negative or overflow, and write-up resume checkpoints whose counts
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
valid = {
    "format": "pt", "model": "lenet5", "resume": "1", "resume_phase": "0", "resume_epoch": "1", "resume_batch": "3",
    "resume_generator": "1,2,3,4", "resume_optimizer_steps": "3", "resume_running": "0", "resume_epoch_total": "0",
    "resume_epochs_done": "0", "schedule": "2x0.0005", "batch_size": "64", "momentum": "0.9", "seed": "0",
    "log_interval": "100", "training_images": "640", "data": "./data", "dataset": "mnist", "history": "{}",
}
tensors = layout + [("optimizer.velocity", [parameters])]
for name, changes in [
    ("overflowing-epochs.resume.safetensors", {"resume_epochs_done": str(2 ** 63 - 1)}),
    ("batch-past-epoch.resume.safetensors", {"resume_batch": "1000000"}),
    ("huge-batch-size.resume.safetensors", {"batch_size": str(2 ** 62)}),
    ("overflowing-schedule.resume.safetensors", {"schedule": "9223372036854775807x0.1,9223372036854775807x0.1"}),
]:
    safetensors(name, tensors, dict(valid, **changes))
print("wrote the crafted .npy and resume files into", out)
