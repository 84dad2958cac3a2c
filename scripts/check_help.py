#!/usr/bin/env python3
"""Checks that every `--help` reads well at 80 columns, as a terminal shows it by default and as
it always is when piped: no line longer than 80 characters, and no indented line (an example, a
table's row, code) broken so that its end falls to column 0.

    python3 scripts/check_help.py [.build/release/lenet [.build/release/lenet-server]]
"""
import subprocess
import sys

lenet = sys.argv[1] if len(sys.argv) > 1 else ".build/release/lenet"
server = sys.argv[2] if len(sys.argv) > 2 else ".build/release/lenet-server"
commands = [[lenet]] + [[lenet, c] for c in
                        ["train", "evaluate", "predict", "read", "serve", "info", "download", "bench", "export"]] + [[server]]

failures = 0
for command in commands:
    text = subprocess.run(command + ["--help"], capture_output=True, text=True, check=True).stdout
    lines = text.splitlines()
    for number, line in enumerate(lines):
        problem = None
        if len(line) > 80:
            problem = "longer than 80 columns"
        elif number > 0 and line and not line[0].isspace() and lines[number - 1].startswith("  ") \
                and not line.endswith(":") and not line.startswith(("USAGE", "OPTIONS", "ARGUMENTS", "SUBCOMMANDS")):
            problem = "falls to column 0 after an indented line (a wrapped example?)"
        if problem:
            failures += 1
            print("%s --help, line %d: %s\n    %s\n    %s" % (" ".join(c.split("/")[-1] for c in command), number + 1, problem,
                                                          lines[number - 1], line))
print("%d problem(s) in %d help texts" % (failures, len(commands)))
sys.exit(1 if failures else 0)
