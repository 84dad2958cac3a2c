#!/usr/bin/env bash
# Load test of `lenet serve` on loopback: wrk (Debian's package) posts a real digit PNG to
# /api/predict for 10 seconds over 64 connections (2 threads), then the same against /healthz as a
# baseline. Fails on any socket error or non-2xx answer. Prints requests/s and latency percentiles.
#
#   scripts/load_test.sh [path/to/lenet]      (default .build/release/lenet; builds nothing)
set -euo pipefail
cd "$(dirname "$0")/.."
lenet=${1:-.build/release/lenet}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

# A test digit, drawn 5x larger on white, as the page sends it.
python3 - "$work/digit.png" <<'PY'
import gzip, struct, sys, zlib
raw = gzip.open("data/MNIST/raw/t10k-images-idx3-ubyte.gz").read()[16:16 + 784]
w = h = 140
rows = b"".join(b"\x00" + bytes(255 - raw[(y // 5) * 28 + x // 5] for x in range(w)) for y in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "image/png"
local file = io.open("$work/digit.png", "rb")
wrk.body = file:read("*all")
file:close()
LUA

LOG_LEVEL=warning "$lenet" serve --port 0 > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "^Serving" "$work/serve.log" && break; sleep 0.1; done
url=$(sed -n 's/.* at \(http:[^ ]*\) .*/\1/p' "$work/serve.log")
[ -n "$url" ] || { cat "$work/serve.log"; echo "FAIL: the server did not start"; exit 1; }
curl -sf --data-binary @"$work/digit.png" -H 'Content-Type: image/png' "${url}api/predict" | python3 -c 'import json,sys; a=json.load(sys.stdin); assert a["class"] == 7, a; print("sanity: the digit is read as", a["class"])'

status=0
for target in "api/predict -s $work/post.lua" "healthz"; do
  set -- $target
  echo "== wrk -t2 -c64 -d10s --latency ${url}$1"
  wrk -t2 -c64 -d10s --latency "${@:2}" "${url}$1" | tee "$work/wrk.out"
  if grep -q "Socket errors\|Non-2xx" "$work/wrk.out"; then echo "FAIL: errors under load on /$1"; status=1; fi
done
kill -INT "$server"; wait "$server" || true
grep -q "Stopped." "$work/serve.log" && echo "the server stopped cleanly on SIGINT" || { cat "$work/serve.log"; echo "FAIL: no clean stop"; status=1; }
exit $status
