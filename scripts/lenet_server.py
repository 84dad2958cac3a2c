"""lenet-server for the scripts that talk to it: started on a port the system picks (`--port 0`),
its address read from the line it prints once it listens ("Serving ... at http://127.0.0.1:PORT/"),
its later output drained so that it never blocks on a full pipe, and stopped as Ctrl-C would.

    from lenet_server import start, stop
    process, port = start(".build/release/lenet-server", ["--checkpoint", "latest"])
    ...
    stop(process)
"""
import re
import signal
import subprocess
import threading


def start(binary, arguments=(), cwd=None, env=None):
    """Starts the server; returns (process, port). Raises RuntimeError, with what the server
    printed, when it exits before it listens."""
    process = subprocess.Popen([binary, "--port", "0", *arguments], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, cwd=cwd, env=env)
    printed = []
    for raw in process.stdout:
        line = raw.decode(errors="replace")
        printed.append(line)
        match = re.search(r"at http://127\.0\.0\.1:(\d+)/", line)
        if match:
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, int(match.group(1))
    process.wait()
    raise RuntimeError("lenet-server did not start (exit %s):\n%s" % (process.returncode, "".join(printed)))


def stop(process, timeout=20):
    """SIGTERM, as Ctrl-C stops it, then waits; returns the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=timeout)
