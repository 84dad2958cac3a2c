#!/usr/bin/env python3
"""What people hand the command line by mistake or on purpose, each as its own check: a device, a
FIFO, a folder, a loop of links, names that are not UTF-8, a one-class folder, an empty split, a gzip
bomb in MNIST's place, outputs that are devices, FIFOs or links, a checkpoint that cannot be
written, and the server's Expect: 100-continue. Each must end at once with a clear error (or do the
right thing), in bounded memory, and leave what was there as it was. The files are made here.

    python3 scripts/hardening_test.py .build/release/lenet [.build/release/lenet-server]

Exits non-zero if any check fails; prints one line per check."""
import gzip
import os
import resource
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lenet_server  # noqa: E402

LENET = os.path.abspath(sys.argv[1])
SERVER = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
work = tempfile.mkdtemp(prefix="lenet-hardening-")
failures = []


def run(args, timeout=20, cwd=None):
    """Runs lenet with `args` (a list of str or bytes); returns (exit code, stdout+stderr as text,
    seconds, peak memory of the child in MB). A timeout counts as exit code None."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    try:
        # A fresh process group, so that a timeout kills the whole command.
        # At most 4 GB of address space, so that a command that reads a device without end fails
        # here instead of taking the machine's memory.
        process = subprocess.Popen([LENET.encode()] + [a if isinstance(a, bytes) else a.encode() for a in args],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd or work, start_new_session=True,
                                   preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30)))
        output, _ = process.communicate(timeout=timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        output, _ = process.communicate()
        code = None
    seconds = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return code, output.decode("utf-8", "replace"), seconds, max(peak, before) / 1024


def check(name, condition, detail=""):
    print(("ok    " if condition else "FAIL  ") + name + ("" if condition else "\n      " + detail.strip().replace("\n", "\n      ")))
    if not condition:
        failures.append(name)


def refused(name, args, *phrases, seconds=5, memory=400, timeout=20):
    """The command exits with status 1 or 64 (not a trap, not a hang), says every phrase, quickly,
    in bounded memory."""
    code, output, took, peak = run(args, timeout=timeout)
    said = all(p in output for p in phrases)
    check(name, code in (1, 64) and said and took < seconds and peak < memory,
          f"exit {code}, {took:.1f} s, {peak:.0f} MB (at most {seconds} s, {memory} MB); expected {phrases} in:\n{output[-600:]}")
    return output


def png_of_digit(path, index=0):
    """The shipped MNIST's test digit `index`, dark on white, as a PNG written by lenet itself."""
    data = gzip.open(os.path.join(ROOT, "data/MNIST/raw/t10k-images-idx3-ubyte.gz")).read()
    pixels = bytes(255 - b for b in data[16 + 784 * index:16 + 784 * (index + 1)])
    with open(path, "wb") as f:
        f.write(b"P5\n28 28\n255\n" + pixels)


def folder_set(root, classes, per_class):
    for c, name in enumerate(classes):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for k in range(per_class):
            png_of_digit(os.path.join(root, name, f"{k}.pgm"), index=10 * c + k)


def kind(path):
    return stat.S_IFMT(os.lstat(path).st_mode)


# 1. Devices and links to them: read as files they fill memory.
refused("predict /dev/zero", ["predict", "/dev/zero"], "/dev/zero", "character device")
os.symlink("/dev/zero", os.path.join(work, "zero.png"))
refused("predict a link to /dev/zero", ["predict", "zero.png"], "zero.png", "character device")
folder_set(os.path.join(work, "zeros"), ["a", "b"], 2)
os.symlink("/dev/zero", os.path.join(work, "zeros", "a", "zero.png"))
refused("a folder: data set holding a link to /dev/zero", ["evaluate", "--dataset", "folder:zeros", "--test-folder", "zeros", "-q"],
        "zeros/a/zero.png", "character device", seconds=10)

# 2. FIFOs: reading one waits for a writer that never comes.
os.mkfifo(os.path.join(work, "pipe.png"))
refused("predict a FIFO", ["predict", "pipe.png"], "pipe.png", "FIFO")
folder_set(os.path.join(work, "pipes"), ["a", "b"], 2)
os.mkfifo(os.path.join(work, "pipes", "b", "pipe.png"))
refused("a folder: data set holding a FIFO", ["evaluate", "--dataset", "folder:pipes", "--test-folder", "pipes", "-q"],
        "pipes/b/pipe.png", "FIFO", seconds=10)

# 3. Folders, loops, names that are not UTF-8.
os.makedirs(os.path.join(work, "a-folder.png"))
output = refused("predict a folder", ["predict", "a-folder.png"], "a-folder.png", "folder")
check("  ... not NSCocoaErrorDomain", "NSCocoaErrorDomain" not in output, output)
os.symlink("loop-b.png", os.path.join(work, "loop-a.png"))
os.symlink("loop-a.png", os.path.join(work, "loop-b.png"))
refused("predict a loop of links", ["predict", "loop-a.png"], "loop-a.png", "loop of symbolic links")
png_of_digit(os.path.join(work.encode(), b"digit-\xff.pgm").decode("utf-8", "surrogateescape"))
refused("predict a file name that is not UTF-8", ["predict", b"digit-\xff.pgm"], "not valid UTF-8")
folder_set(os.path.join(work, "latin1"), ["a", "b"], 2)
os.makedirs(os.path.join(work.encode(), b"latin1", b"caf\xe9"))
png_of_digit(os.path.join(work.encode(), b"latin1", b"caf\xe9", b"0.pgm").decode("utf-8", "surrogateescape"))
refused("a class folder whose name is not UTF-8 (was dropped)", ["evaluate", "--dataset", "folder:latin1", "--test-folder", "latin1", "-q"],
        "not valid UTF-8")

# 4. One class; an empty split.
folder_set(os.path.join(work, "one-class"), ["only"], 3)
refused("train on a one-class folder (was a trap, exit 132)", ["train", "--dataset", "folder:one-class", "--schedule", "1x0.001", "-q",
        "--output", "one-class-run"], "at least two classes", seconds=15)
folder_set(os.path.join(work, "tiny"), ["a", "b"], 1)
refused("a split left empty (was 'Trained on 0 images')", ["train", "--dataset", "folder:tiny", "--test-split", "0.2", "--schedule", "1x0.001",
        "-q", "--output", "tiny-run"], "split is empty", seconds=15)

# 5. A gzip bomb in the place of MNIST's test labels: 23 MB of zeros in 23 KB.
bomb_root = os.path.join(work, "bomb", "MNIST", "raw")
os.makedirs(bomb_root)
for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]:
    os.symlink(os.path.join(ROOT, "data/MNIST/raw", name), os.path.join(bomb_root, name))
with gzip.open(os.path.join(bomb_root, "t10k-labels-idx1-ubyte.gz"), "wb", compresslevel=9) as f:
    f.write(bytes(23 << 20))
refused("a gzip bomb as MNIST's labels stops at their known size", ["evaluate", "--data", "bomb", "-q"],
        "t10k-labels-idx1-ubyte.gz", "decompresses to more than the 10008 bytes", seconds=10, memory=300)

# 6. Outputs that are not regular files are never replaced; a link is written through.
os.mkfifo(os.path.join(work, "out.onnx"))
refused("export --output onto a FIFO", ["export", "--output", "out.onnx"], "out.onnx", "FIFO", seconds=10)
check("  ... the FIFO is still a FIFO", stat.S_ISFIFO(os.lstat(os.path.join(work, "out.onnx")).st_mode))
os.symlink("/dev/null", os.path.join(work, "null.onnx"))
refused("export --output onto a link to /dev/null", ["export", "--output", "null.onnx"], "character device", seconds=10)
check("  ... /dev/null is still a device and the link a link",
      stat.S_ISCHR(os.stat("/dev/null").st_mode) and stat.S_ISLNK(os.lstat(os.path.join(work, "null.onnx")).st_mode))
os.makedirs(os.path.join(work, "models"))
with open(os.path.join(work, "models", "real.onnx"), "wb") as f:
    f.write(b"old")
os.symlink("models/real.onnx", os.path.join(work, "link.onnx"))
code, output, _, _ = run(["export", "--output", "link.onnx"])
check("export --output onto a link to a regular file writes the file it leads to",
      code == 0 and os.path.islink(os.path.join(work, "link.onnx")) and os.path.getsize(os.path.join(work, "models", "real.onnx")) > 1000, output)
png_of_digit(os.path.join(work, "seven.pgm"))
os.mkfifo(os.path.join(work, "seen.png"))
refused("predict --show-input onto a FIFO", ["predict", "seven.pgm", "--show-input", "seen.png"], "seen.png", "FIFO", seconds=10)
os.mkfifo(os.path.join(work, "logits.npy"))
refused("evaluate --logits onto a FIFO", ["evaluate", "--data", os.path.join(ROOT, "data"), "--logits", "logits.npy", "-q", "--output", "eval-run"], "logits.npy", "FIFO", seconds=60,
        memory=1000, timeout=90)

# 7. Checkpoints that cannot be written: said at once, and both failures said when the last fails too.
folder_set(os.path.join(work, "ckpt"), ["a", "b"], 10)
run_folder = os.path.join(work, "ckpt-run")
os.makedirs(os.path.join(run_folder, "resume.safetensors"))
code, output, _, _ = run(["train", "--dataset", "folder:ckpt", "--test-split", "0.5", "--schedule", "2x0.001", "--checkpoint-every", "1",
                          "--output", run_folder], timeout=60)
warned = output.find("warning: a periodic checkpoint could not be saved")
check("a periodic checkpoint that fails is said at once, before the run ends",
      code == 1 and 0 <= warned < output.find("Finished Training"), output[-800:])
check("  ... said once, not at every checkpoint", output.count("warning: a periodic checkpoint") == 1, output[-800:])
run_folder = os.path.join(work, "ckpt-run-2")
os.makedirs(os.path.join(run_folder, "resume.safetensors"))
os.makedirs(os.path.join(run_folder, "model.safetensors"))
code, output, _, _ = run(["train", "--dataset", "folder:ckpt", "--test-split", "0.5", "--schedule", "1x0.001", "--checkpoint-every", "1",
                          "--output", run_folder], timeout=60)
check("when the final model cannot be saved either, both failures are said",
      code == 1 and "the finished model could not be saved" in output and "a periodic checkpoint had failed" in output, output[-800:])

# 8. The server answers Expect: 100-continue (curl sends it for bodies over 1 MB and waits 1 s without it).
if SERVER and shutil.which("curl"):
    server, port = lenet_server.start(SERVER, cwd=ROOT)
    url = "http://127.0.0.1:%d/" % port
    body = os.path.join(work, "big.pgm")
    with open(body, "wb") as f:  # a 1,200x1,000 grey picture with a digit-like bar: 1.2 MB
        pixels = bytearray([255] * 1_200_000)
        for y in range(300, 700):
            for x in range(580, 620):
                pixels[y * 1200 + x] = 0
        f.write(b"P5\n1200 1000\n255\n" + bytes(pixels))
    timings = []
    for expect in ["Expect: 100-continue", "Expect:"]:
        start = time.monotonic()
        result = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", expect, "-H", "Content-Type: image/x-portable-graymap",
                                 "--data-binary", "@" + body, url + "api/predict"], capture_output=True, text=True)
        timings.append((result.stdout, time.monotonic() - start))
    lenet_server.stop(server)
    check("curl's upload with Expect: 100-continue does not wait a second",
          timings[0][0] == "200" and timings[0][1] < 0.5, f"with the header: {timings[0]}, without: {timings[1]}")
else:
    print("skip  the server's Expect: 100-continue (no lenet-server given, or no curl)")

shutil.rmtree(work, ignore_errors=True)
if failures:
    print(f"{len(failures)} check(s) failed: " + "; ".join(failures))
    sys.exit(1)
print("every check passed")
