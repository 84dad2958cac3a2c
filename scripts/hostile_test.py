"""The server under hostile load, on loopback only, bounded in time (about a minute). It starts
`lenet-server --port 0`, then:

0. one decode of the largest picture a 4 MB body may ask for costs at most 64 MB; a larger one
   gets 413;
1. decode load: 4 clients post the worst-case picture (the largest decode a 4 MB body may ask for)
   in a loop for 10 s while /healthz is probed every 50 ms; /healthz must answer every time, p50
   <= 0.1 s and max <= 0.5 s, and the server's peak RSS must stay <= 300 MB;
2. slow clients: 1,000 idle connections, 50 half-sent heads and 50 stalled 4 MB uploads held open;
   /healthz must still answer (max <= 0.5 s), and the idle timeout must close them;
3. a 413: a client that announces 300 MB and keeps sending; the server must answer 413 and close
   the connection, having taken at most a few MB;
4. SIGTERM with 20 stalled uploads open: the server must be gone within 5 s;
5. with the path of `lenet` as a second argument, `lenet predict`'s peak memory on crafted files
   (a huge PNG header over a cut stream, a Netpbm header alone: both errors, costing no more than a
   small picture) and on a 12 Mpx photo-sized picture, which it must read.

It prints each figure and exits 1 if one is past its bound.

  python3 scripts/hostile_test.py [.build/release/lenet-server [.build/release/lenet]]
"""
import os, signal, socket, statistics, struct, subprocess, sys, threading, time, zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lenet_server  # noqa: E402

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/lenet-server"
failures = []


def check(ok, what):
    print(("  ok    " if ok else "  FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def png(width, height, rows, depth=16, colour=6):
    """A PNG of the given filtered rows (16-bit RGBA unless told)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def paeth_filtered(row, above, bpp=8):
    """One row filtered with PNG's Paeth filter (type 4) against the row above (raw bytes)."""
    out = bytearray(len(row))
    for i in range(len(row)):
        a = row[i - bpp] if i >= bpp else 0
        b = above[i] if above else 0
        c = above[i - bpp] if above and i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[i] = (row[i] - predictor) & 0xFF
    return b"\x04" + bytes(out)


def worst_case_picture():
    """16-bit RGBA (8 bytes a pixel to inflate, unfilter with Paeth and convert) just under the
    server's 56 MB decode bound (5 bytes a pixel kept as grey and alpha): 3340x3340, 11.2 Mpx, white
    with a dark square as ink (540 pixels, at 1400-1940 on both axes) so the whole preparation runs."""
    side = 3340
    white = b"\xff" * (8 * side)
    ink = b"\xff" * (8 * 1400) + b"\x20\x00\x20\x00\x20\x00\xff\xff" * 540 + b"\xff" * (8 * (side - 1940))
    filtered = {}
    def row(y):
        current, above = (ink if 1400 <= y < 1940 else white), (None if y == 0 else (ink if 1400 <= y - 1 < 1940 else white))
        key = (current is ink, None if above is None else above is ink)
        if key not in filtered:
            filtered[key] = paeth_filtered(current, above)
        return filtered[key]
    return png(side, side, b"".join(row(y) for y in range(side)))


def rss_mb(pid, field="VmRSS"):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def request(port, method="GET", path="/healthz", body=b"", headers=None, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n" % (method, path, port)
    for k, v in (headers or {}).items():
        head += "%s: %s\r\n" % (k, v)
    if method == "POST":
        head += "Content-Length: %d\r\n" % len(body)
    s.sendall(head.encode() + b"\r\n" + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0


def start_server():
    try:
        return lenet_server.start(binary, env=dict(os.environ, LOG_LEVEL="warning"))
    except RuntimeError as error:
        print(error)
        sys.exit("FAIL: the server did not start")


def probe(port, seconds, interval=0.05):
    """/healthz latencies over `seconds`, and how many probes failed."""
    latencies, failed, end = [], 0, time.time() + seconds
    while time.time() < end:
        t0 = time.perf_counter()
        try:
            ok = request(port, timeout=5) == 200
        except OSError:
            ok = False
        if ok:
            latencies.append(time.perf_counter() - t0)
        else:
            failed += 1
        time.sleep(interval)
    return latencies, failed


process, port = start_server()
print("lenet-server pid %d on port %d, RSS %.0f MB at rest" % (process.pid, port, rss_mb(process.pid)), flush=True)

print("== 0. one worst-case decode, alone", flush=True)
picture = worst_case_picture()
print("  the picture: %d bytes of PNG for a 3340x3340 16-bit RGBA image (%.0f MB of raw rows)" % (len(picture), 3340 * (3340 * 8 + 1) / 1e6), flush=True)
for _ in range(3):
    request(port)  # the server's threads and buffers warmed by small requests first
rest = rss_mb(process.pid, "VmHWM")
t0 = time.perf_counter()
status = request(port, "POST", "/api/predict", picture, {"Content-Type": "image/png"}, timeout=30)
rise = rss_mb(process.pid, "VmHWM") - rest
print("  answered %d in %.2f s; the server's peak RSS rose %.0f MB (from %.0f MB)" % (status, time.perf_counter() - t0, rise, rest), flush=True)
check(status == 200 and rise <= 64, "one decode of the largest picture a 4 MB body may ask for costs %.0f MB <= 64 MB" % rise)
toolarge = png(4096, 4096, b"\x00" * (4096 * 8 + 1) * 4096)
status = request(port, "POST", "/api/predict", toolarge, {"Content-Type": "image/png"}, timeout=30)
print("  a %d-byte PNG of 4096x4096 16-bit RGBA: answered %d; peak RSS now %.0f MB" % (len(toolarge), status, rss_mb(process.pid, "VmHWM")), flush=True)
check(status == 413, "a picture past the decode bound gets 413")

print("== 1. four clients loop on the worst-case decode for 10 s", flush=True)
stop = time.time() + 10
statuses = {}
lock = threading.Lock()
peak = [0.0]


def poster():
    while time.time() < stop:
        try:
            status = request(port, "POST", "/api/predict", picture, {"Content-Type": "image/png"}, timeout=30)
        except OSError:
            status = "error"
        with lock:
            statuses[status] = statuses.get(status, 0) + 1


def sampler(until):
    while time.time() < until:
        peak[0] = max(peak[0], rss_mb(process.pid))
        time.sleep(0.1)


threads = [threading.Thread(target=poster) for _ in range(4)] + [threading.Thread(target=sampler, args=(stop + 2,))]
for t in threads:
    t.start()
latencies, failed = probe(port, 10)
for t in threads:
    t.join()
p50, worst = statistics.median(latencies), max(latencies)
print("  uploads answered: %s" % ", ".join("%s x%d" % (k, v) for k, v in sorted(statuses.items(), key=str)), flush=True)
print("  /healthz: %d probes, p50 %.1f ms, max %.1f ms, %d failed; server peak RSS %.0f MB (VmHWM %.0f MB)"
      % (len(latencies), 1000 * p50, 1000 * worst, failed, peak[0], rss_mb(process.pid, "VmHWM")), flush=True)
check(failed == 0, "/healthz answered every probe during the decode load")
check(p50 <= 0.1, "/healthz p50 %.1f ms <= 100 ms" % (1000 * p50))
check(worst <= 0.5, "/healthz max %.1f ms <= 500 ms" % (1000 * worst))
check(rss_mb(process.pid, "VmHWM") <= 300, "the server's peak RSS %.0f MB <= 300 MB" % rss_mb(process.pid, "VmHWM"))
check(statuses.get(200, 0) > 0, "some uploads were read (200)")
check(set(statuses) <= {200, 503}, "uploads got 200 or 503 only")

print("== 2. 1,000 idle connections, 50 half-sent heads, 50 stalled 4 MB uploads", flush=True)
held = []
for n in range(1000):
    held.append(socket.create_connection(("127.0.0.1", port), timeout=10))
for n in range(50):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
    held.append(s)
for n in range(50):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nContent-Length: 4194303\r\n\r\n" + b"\0" * (1 << 20))
    held.append(s)
latencies, failed = probe(port, 3, 0.1)
print("  /healthz with 1,100 connections held: %d probes, p50 %.1f ms, max %.1f ms, %d failed; server RSS %.0f MB"
      % (len(latencies), 1000 * statistics.median(latencies), 1000 * max(latencies), failed, rss_mb(process.pid)), flush=True)
check(failed == 0 and max(latencies) <= 0.5, "/healthz answered within 500 ms with 1,100 connections held")
time.sleep(10)
closed = 0
for s in held:
    s.setblocking(False)
    try:
        closed += s.recv(1) == b""
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
    s.close()
print("  after 13 s: %d of %d held connections closed by the server" % (closed, len(held)), flush=True)
check(closed == len(held), "the idle timeout closed every silent connection")

print("== 3. a client announces 300 MB and keeps sending", flush=True)
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nContent-Length: 300000000\r\n\r\n")
sent, answer, t0 = 0, b"", time.time()
s.setblocking(False)
block = b"\1" * 65536
while time.time() - t0 < 10:
    try:
        sent += s.send(block)
    except BlockingIOError:
        time.sleep(0.001)
    except OSError:
        break
    try:
        piece = s.recv(65536)
        if piece == b"":
            break
        answer += piece
    except BlockingIOError:
        pass
    except OSError:
        break
s.close()
print("  answer: %r...; the client got %.1f MB out before the connection closed, %.2f s after it opened"
      % (answer[:12], sent / 1e6, time.time() - t0), flush=True)
check(answer.startswith(b"HTTP/1.1 413"), "413")
check(sent <= 16e6 and time.time() - t0 < 5, "the server closed the connection after taking %.1f MB (<= 16 MB)" % (sent / 1e6))

print("== 4. SIGTERM with 20 stalled uploads open", flush=True)
stalled = []
for n in range(20):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4194303\r\n\r\n" + b"\0" * 1000)
    stalled.append(s)
time.sleep(0.5)
t0 = time.time()
process.send_signal(signal.SIGTERM)
try:
    process.wait(timeout=10)
except subprocess.TimeoutExpired:
    process.kill()
took = time.time() - t0
print("  the server exited %.2f s after SIGTERM (status %s)" % (took, process.returncode), flush=True)
check(took <= 5, "stopped within 5 s")
for s in stalled:
    s.close()
checks = 14
if len(sys.argv) > 2:
    import tempfile
    lenet = sys.argv[2]
    print("== 5. lenet predict's memory on crafted files and on a 12 Mpx picture", flush=True)
    folder = tempfile.mkdtemp()

    def peak_rss(path):
        result = subprocess.run(["/usr/bin/time", "-f", "%M %e", lenet, "predict", path], capture_output=True, text=True)
        kb, seconds = result.stderr.strip().splitlines()[-1].split()
        return result.returncode, int(kb) / 1024, float(seconds), result.stdout.strip() or result.stderr.strip().splitlines()[0]

    def write(name, data):
        path = os.path.join(folder, name)
        open(path, "wb").write(data)
        return path

    tiny_rows = b"".join(b"\x00" + b"".join(b"\x00\x00\x00\x00\x00\x00\xff\xff" if 8 <= x < 20 and 6 <= y < 22 else b"\xff\xff\xff\xff\xff\xff\xff\xff" for x in range(28)) for y in range(28))
    small = write("small.png", png(28, 28, tiny_rows))
    cut = png(4096, 4096, b"\x00" * (4096 * 8 + 1) * 4)
    cut = write("cut-stream.png", cut[:33] + struct.pack(">I", 20) + b"IDAT" + cut[41:61] + struct.pack(">I", zlib.crc32(b"IDAT" + cut[41:61])) + cut[-12:])
    header_only = write("header-only.ppm", b"P6 4096 4096 255\n")
    # A 4000x3000 (12 Mpx) 8-bit RGB picture: pale paper, a dark stroke.
    side_rows = []
    for y in range(3000):
        row = bytearray(b"\xf0\xe8\xd8" * 4000)
        if 900 <= y < 2100:
            row[3 * 1900:3 * 2100] = b"\x20\x20\x60" * 200
        side_rows.append(b"\x00" + bytes(row))
    raw = b"".join(side_rows)
    photo = os.path.join(folder, "photo-12mpx.png")
    open(photo, "wb").write(png(4000, 3000, raw, depth=8, colour=2))
    base = peak_rss(small)
    print("  a 28x28 PNG: status %d, peak RSS %.0f MB: %s" % (base[0], base[1], base[3][:60]), flush=True)
    for name, path in [("a 4096x4096 16-bit RGBA header over a cut stream", cut), ("a 17-byte P6 4096x4096 header", header_only)]:
        status, mb, seconds, text = peak_rss(path)
        print("  %s (%d bytes): status %d, peak RSS %.0f MB: %s" % (name, os.path.getsize(path), status, mb, text[:110]), flush=True)
        check(status == 1 and mb <= base[1] + 8, "%s: an error, at most 8 MB over the small picture's peak" % name)
        checks += 1
    status, mb, seconds, text = peak_rss(photo)
    print("  a 4000x3000 RGB PNG (%d bytes): status %d, peak RSS %.0f MB, %.2f s: %s" % (os.path.getsize(photo), status, mb, seconds, text[:80]), flush=True)
    check(status == 0 and mb <= base[1] + 12e6 * 4 / 2**20 + 64, "the 12 Mpx picture is read, with no more than its grey levels and 64 MB besides")
    checks += 1
print("%d passed, %d failed" % (checks - len(failures), len(failures)))
sys.exit(1 if failures else 0)
