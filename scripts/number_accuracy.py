#!/usr/bin/env python3
"""How well `lenet read` reads whole numbers: writes the number sets (scripts/make_number_sets.py, the
held-out draw by default), reads every picture with `lenet read --json`, and prints, per group, the
share of numbers read exactly right, and the error against rejection: what share of the numbers it
accepts are wrong when the least confident are rejected.

    python3 scripts/number_accuracy.py .build/release/lenet [--part tuning] [--count 100]
                                       [--checkpoint numbers] [--check] [--keep DIR]

With --check it exits non-zero unless the shipped reader meets its targets on the held-out draw:
spaced 97%, close 92%, touching or overlapping 75%, photos 92%; and a picture with no ink reads as
an empty text. Needs numpy and Pillow."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = {"spaced": 0.97, "close": 0.92, "touching": 0.75, "photos": 0.92}


def read(lenet, checkpoint, files):
    command = [lenet, "read", "--json"] + (["--checkpoint", checkpoint] if checkpoint else []) + files
    result = subprocess.run(command, capture_output=True, text=True)
    if not result.stdout.strip():
        raise SystemExit(f"lenet read printed nothing: {result.stderr.strip()}")
    return json.loads(result.stdout)


def truth(path):
    return os.path.splitext(os.path.basename(path))[0].split("-", 1)[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lenet")
    parser.add_argument("--part", choices=["held-out", "tuning"], default="held-out")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--checkpoint")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--keep", help="write the sets here and keep them (default: a temporary folder)")
    parser.add_argument("--show-wrong", type=int, default=0, help="list this many wrong readings per group")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="lenet-numbers-")
    if not os.path.isdir(os.path.join(folder, "photos")) or len(os.listdir(os.path.join(folder, "photos"))) != args.count:
        subprocess.run([sys.executable, os.path.join(HERE, "make_number_sets.py"), "--output", folder, "--part", args.part,
                        "--count", str(args.count)], check=True, stdout=subprocess.DEVNULL)
    failures = []
    everything = []
    print(f"| numbers ({args.part}, {args.count} each) | read right | target |")
    print("|---|---:|---:|")
    for group, target in TARGETS.items():
        files = [os.path.join(folder, group, name) for name in sorted(os.listdir(os.path.join(folder, group)))]
        answers = read(args.lenet, args.checkpoint, files)
        right = 0
        shown = 0
        for answer in answers:
            ok = answer.get("text") == truth(answer["file"])
            right += ok
            everything.append((answer.get("confidence", 0), ok, answer.get("rejected", True)))
            if not ok and shown < args.show_wrong:
                print(f"  {answer['file']}: read {answer.get('text', answer.get('error'))!r} ({answer.get('confidence', 0):.3f})")
                shown += 1
        share = right / len(answers)
        print(f"| {group} | {100 * share:.1f}% ({right}/{len(answers)}) | {100 * target:.0f}% |")
        if share < target:
            failures.append(f"{group}: {100 * share:.1f}% read right, under the target of {100 * target:.0f}%")
    # Error against rejection, over all groups.
    everything.sort(key=lambda item: item[0])
    total = len(everything)
    print("\n| rejected (all groups) | error of the rest | confidence under |")
    print("|---:|---:|---:|")
    for share in (0, 0.02, 0.05, 0.10, 0.15, 0.20):
        cut = int(round(share * total))
        rest = everything[cut:]
        error = sum(1 for _, ok, _ in rest if not ok) / max(1, len(rest))
        threshold = everything[cut][0] if cut < total else 1
        print(f"| {100 * share:.0f}% | {100 * error:.2f}% | {threshold:.3f} |")
    accepted = [ok for _, ok, rejected in everything if not rejected]
    print(f"\nAt the reader's threshold (\"rejected\"): {100 * (total - len(accepted)) / total:.1f}% rejected, "
          f"{100 * sum(1 for ok in accepted if not ok) / max(1, len(accepted)):.2f}% of the rest wrong "
          f"({100 * sum(1 for _, ok, _ in everything if ok) / total:.1f}% right before rejecting).")
    # A blank picture reads as no digits.
    blank = os.path.join(folder, "blank.pgm")
    with open(blank, "wb") as f:
        f.write(b"P5 64 32 255\n" + bytes([255]) * (64 * 32))
    answer = read(args.lenet, args.checkpoint, [blank])[0]
    if answer.get("text") != "":
        failures.append(f"a blank picture read as {answer!r}, not an empty text")
    if not args.keep:
        shutil.rmtree(folder)
    if args.check and failures:
        print("\n".join(["FAILED:"] + failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
