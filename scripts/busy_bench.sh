#!/usr/bin/env bash
# Training on a machine that is doing other things: one epoch of the write-up's recipe
# (`lenet train --schedule 1x0.0005`) with the default thread count (every core) and with one
# thread, while 0, 1 and then every core is held by a busy loop of another process. Prints
# images/s, the median of ROUNDS runs (3), and the default's ratio to one thread in each row.
#
#   scripts/busy_bench.sh [LENET_BINARY]      # default .build/release/lenet
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/one_epoch.sh
lenet=${1:-.build/release/lenet}
rounds=${ROUNDS:-3}
cores=$(nproc)
work=$(mktemp -d)
hogs=()
stop_hogs() { for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done; hogs=(); }
trap 'stop_hogs; rm -rf "$work"' EXIT

rate() {   # images/s of one epoch, the median of $rounds
    local threads=$1 rates=()
    for _ in $(seq "$rounds"); do
        rates+=("$(one_epoch "$lenet" "$work/run" $threads)")
    done
    printf '%s\n' "${rates[@]}" | sort -n | sed -n "$(( (rounds + 1) / 2 ))p"
}

echo "| other processes' busy cores (of $cores) | default threads ($cores), images/s | 1 thread, images/s | default / 1 thread |"
echo "|---|---:|---:|---:|"
for busy in 0 1 "$cores"; do
    for _ in $(seq "$busy"); do (while :; do :; done) & hogs+=($!); done
    sleep 0.5
    all=$(rate "")
    one=$(rate "--threads 1")
    stop_hogs
    awk -v b="$busy" -v a="$all" -v o="$one" 'BEGIN { printf "| %s | %d | %d | %.2f |\n", b, a, o, a / o }'
done
