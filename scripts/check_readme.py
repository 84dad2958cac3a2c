#!/usr/bin/env python3
"""Runs the README's commands as printed, and `lenet --help`'s "Start with" lines, in this clone:

- every `swift run -c release lenet ...` line of the README's sh blocks, run as the built
  .build/release/lenet with the same arguments (`runs/<run>` becomes the newest run); where the
  line's comment shows an answer with a percentage, "7 (90.46%)", the output must contain it;
- `swift run -c release lenet-server` started, asked for /healthz, and the README's curl line
  sent to it, then stopped;
- `lenet --help`'s "Start with:" commands, the same way;
- the README's Swift code, which must be Examples/Quickstart/Sources/Quickstart/main.swift, line
  for line (CI builds and runs that package).

`swift test` and `.ci/run` are not run here (CI runs them itself), nor the Python fragment of the
ONNX section, which needs pixels of the reader's own.

    python3 scripts/check_readme.py [--skip-train]     # after swift build -c release
"""
import glob
import os
import re
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lenet_server  # noqa: E402

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
skip_train = "--skip-train" in sys.argv
readme = open("README.md", encoding="utf-8").read()
failures = []
made = ["lenet5.onnx", "m.onnx", "model.onnx"]
made_before = {f for f in made if os.path.exists(f)}


def blocks(language):
    return re.findall(r"```%s\n(.*?)```" % language, readme, flags=re.S)


def newest_run():
    runs = [r for r in glob.glob("runs/*/model.safetensors")]
    return os.path.dirname(max(runs, key=os.path.getmtime)) if runs else None


def run_server(arguments, then):
    try:
        process, port = lenet_server.start(".build/release/lenet-server", arguments)
    except RuntimeError as error:
        return str(error)
    try:
        return then(port)
    finally:
        lenet_server.stop(process)


def check(line, source):
    command, _, comment = line.partition("#")
    words = shlex.split(command)
    if words[:3] == ["swift", "run", "-c"] and words[3] == "release":
        words = words[4:]
    elif words and words[0] in ("lenet", "lenet-server"):
        pass
    else:
        return
    program, arguments = words[0], words[1:]
    if program == "lenet-server":
        def ask(port):
            for curl in [l for b in blocks("sh") for l in b.splitlines() if l.startswith("curl ")]:
                curl_words = [w.replace("127.0.0.1:8080", "127.0.0.1:%d" % port) for w in shlex.split(curl)]
                answer = subprocess.run(curl_words, capture_output=True, text=True, timeout=60)
                if answer.returncode != 0 or '"class"' not in answer.stdout:
                    return "%s: %s%s" % (curl, answer.stdout[:200], answer.stderr[:200])
            return None
        # The server listens on a port of its own choosing; a --port of the README's is dropped.
        kept = [a for i, a in enumerate(arguments) if a != "--port" and (i == 0 or arguments[i - 1] != "--port")]
        problem = run_server(kept, ask)
        print(("FAIL " if problem else "ok   ") + "%s (%s)%s" % (line.strip(), source, ": " + problem if problem else ""))
        if problem:
            failures.append(line)
        return
    if program != "lenet":
        return
    if arguments[:1] == ["train"] and skip_train:
        print("skip %s (%s): --skip-train" % (line.strip(), source))
        return
    if arguments[:1] == ["serve"]:
        return  # lenet serve runs lenet-server, checked above
    run = newest_run()
    arguments = [a.replace("runs/<run>", run or "runs/<run>") for a in arguments]
    expanded = []
    for a in arguments:
        expanded += sorted(glob.glob(a)) if any(c in a for c in "*?") else [a]
    started = time.time()
    result = subprocess.run([".build/release/lenet"] + expanded, capture_output=True, text=True, timeout=900)
    problem = None
    if result.returncode != 0:
        # A trap's reason comes first in its report; the end is the backtrace's list of libraries.
        reason = [l for l in result.stderr.splitlines() if re.search(r"Fatal error|runtime failure|error:|crashed", l)]
        problem = "exit status %d: %s" % (result.returncode, "\n".join(reason[:6]) or (result.stderr or result.stdout)[-300:])
    else:
        shown = re.match(r"\s*(.*?\(\d+(?:\.\d+)?%\))", comment)
        if shown and shown.group(1) not in result.stdout:
            problem = "the comment shows %r; the output was %r" % (shown.group(1), result.stdout[:300])
    print(("FAIL " if problem else "ok   ") + "%s (%s, %.1f s)%s" % (line.strip(), source, time.time() - started, ": " + problem if problem else ""))
    if problem:
        failures.append(line)


for block in blocks("sh"):
    for line in block.splitlines():
        check(line, "README")

help_text = subprocess.run([".build/release/lenet", "--help"], capture_output=True, text=True).stdout
start = help_text.split("Start with:\n", 1)[1].split("\n\n", 1)[0]
for line in start.splitlines():
    command = re.split(r"\s{2,}", line.strip())[0]
    check(command, "lenet --help")

swift = "\n".join(b.strip("\n") for b in blocks("swift")) + "\n"
example = open("Examples/Quickstart/Sources/Quickstart/main.swift", encoding="utf-8").read()
if swift != example:
    failures.append("swift")
    print("FAIL the README's Swift code differs from Examples/Quickstart/Sources/Quickstart/main.swift")
else:
    print("ok   the README's Swift code is Examples/Quickstart's main.swift (%d lines)" % swift.count("\n"))

for name in made:
    if name not in made_before and os.path.exists(name):
        os.remove(name)
print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
