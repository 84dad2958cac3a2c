#!/usr/bin/env bash
# Serving, side by side on loopback in one run: lenet-server against what a user would write instead,
# scripts/pytorch_server.py (FastAPI + uvicorn with 2 workers + PyTorch + Pillow, the same weights),
# with its naive preparation and with the OpenCV tutorials' (PREP=opencv). Each server is sent, by wrk
# (2 threads, 16 connections, 8 s), the page's drawing as the page sends it (a 280x280 PGM; lenet-server
# with ?features=1, as the page asks), the same drawing as an RGBA PNG, and a 640x480 phone photo.
# Prints requests/s, p50 and p99 for each, and lenet-server's ratio to each peer. Then the cost of
# each stage of lenet's own path on one thread (lenet bench --pictures).
#
#   scripts/serving_bench.sh [ROUNDS]        (default 1 round; the servers take turns within a round)
#
# Needs wrk (apt-get install wrk) and a venv with torch, fastapi, uvicorn, numpy, Pillow, safetensors
# and opencv-python-headless at ${SERVING_VENV:-$HOME/serving-anchor}:
#   python3 -m venv ~/serving-anchor && ~/serving-anchor/bin/pip install torch numpy pillow safetensors \
#       fastapi uvicorn opencv-python-headless
set -u
cd "$(dirname "$0")/.."
rounds=${1:-1}
venv=${SERVING_VENV:-$HOME/serving-anchor}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }
[ -x "$venv/bin/uvicorn" ] || { echo "no venv with uvicorn at $venv (see the comment at the top)"; exit 2; }
swift build -c release >/dev/null || exit 2
model=models/lenet5-modern.safetensors
work=$(mktemp -d); pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
python3 scripts/make_serving_inputs.py "$work" >/dev/null || exit 2
cat >"$work/post.lua" <<'LUA'
local f = io.open(os.getenv("BODY"), "rb"); wrk.body = f:read("*all"); f:close()
wrk.method = "POST"; wrk.headers["Content-Type"] = os.getenv("CTYPE")
LUA
echo "$(date -u +%Y-%m-%dT%H:%MZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; model $model"
base=$((18300 + RANDOM % 300))
.build/release/lenet-server --port $base --checkpoint "$model" >"$work/ours.log" 2>&1 & pids+=($!)
(LENET_MODEL="$PWD/$model" exec "$venv/bin/uvicorn" pytorch_server:app --app-dir scripts --host 127.0.0.1 --port $((base + 1)) \
    --workers 2 --log-level warning) >"$work/naive.log" 2>&1 & pids+=($!)
(PREP=opencv LENET_MODEL="$PWD/$model" exec "$venv/bin/uvicorn" pytorch_server:app --app-dir scripts --host 127.0.0.1 --port $((base + 2)) \
    --workers 2 --log-level warning) >"$work/opencv.log" 2>&1 & pids+=($!)
for port in $base $((base + 1)) $((base + 2)); do
  for _ in $(seq 200); do curl -s -o /dev/null --data-binary @"$work/drawing.png" "http://127.0.0.1:$port/api/predict" && break; sleep 0.2; done
done
# Each server as a user starts it: lenet-server logs every request (to a file here), uvicorn at warning.
measure() { # name port body content-type path -> "rps p50 p99"
  BODY=$3 CTYPE=$4 wrk -t2 -c16 -d8s --latency -s "$work/post.lua" "http://127.0.0.1:$2$5" >"$work/$1.txt" 2>&1
  local rps p50 p99 bad
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$1.txt"); p50=$(awk '$1=="50%" {print $2}' "$work/$1.txt"); p99=$(awk '$1=="99%" {print $2}' "$work/$1.txt")
  bad=$(grep -E 'Non-2xx|Socket errors' "$work/$1.txt" | tr -s ' ' | tr '\n' ';')
  echo "${rps:-0} ${p50:-?} ${p99:-?} ${bad}"
}
for round in $(seq "$rounds"); do
  for input in "drawing drawing.pgm image/x-portable-graymap" "drawing-png drawing.png image/png" "photo photo.jpg image/jpeg"; do
    set -- $input
    ours=$(measure "lenet-$1-$round" $base "$work/$2" "$3" "/api/predict?features=1")
    naive=$(measure "naive-$1-$round" $((base + 1)) "$work/$2" "$3" "/api/predict")
    opencv=$(measure "opencv-$1-$round" $((base + 2)) "$work/$2" "$3" "/api/predict")
    python3 - "$1" "$ours" "$naive" "$opencv" <<'PY'
import sys
name = sys.argv[1]
rows = [("lenet-server", sys.argv[2]), ("FastAPI + PyTorch, naive", sys.argv[3]), ("FastAPI + PyTorch, OpenCV", sys.argv[4])]
ours = float(sys.argv[2].split()[0] or 0)
for label, text in rows:
    parts = text.split(maxsplit=3)
    rps = float(parts[0] or 0)
    ratio = "" if label == "lenet-server" else f"  lenet-server {ours / rps:.2f}x" if rps else ""
    extra = f"  [{parts[3]}]" if len(parts) > 3 else ""
    print(f"{name:12s} {label:27s} {rps:8.0f} req/s  p50 {parts[1]:>8s}  p99 {parts[2]:>8s}{ratio}{extra}")
PY
  done
done
echo "lenet's own path, one thread (lenet bench --pictures):"
.build/release/lenet bench --pictures "$work/drawing.pgm" "$work/drawing.png" "$work/photo.jpg"
