#!/usr/bin/env bash
# Training on a machine that is doing other things: one epoch of the write-up's recipe
# (`lenet train --schedule 1x0.0005`) with the default thread count (every core) and with one
# thread, while 0, 1 and then every core is held by a busy loop of another process.
#
# The two run in turns, ROUNDS (5) times per row, the order swapped every round, so that both
# see the same machine; each round gives one ratio. A row prints the medians of images/s, every
# round's ratio (default / one thread) and their median, and the median share of the default's
# training that its pool ran on one thread because sharing out measured slower (the run says so
# from a tenth up). A last row, with one core busy, runs one thread against one thread: the spread
# of its ratios is the machine's noise, the yardstick for the rows above.
#
#   scripts/busy_bench.sh [LENET_BINARY]      # default .build/release/lenet
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/one_epoch.sh
lenet=${1:-.build/release/lenet}
rounds=${ROUNDS:-5}
cores=$(nproc)
work=$(mktemp -d)
hogs=()
stop_hogs() { for pid in "${hogs[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; hogs=(); }
start_hogs() { for _ in $(seq "$1"); do (while :; do :; done) & hogs+=($!); done; sleep 0.5; }
trap 'stop_hogs; rm -rf "$work"' EXIT
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
list() { local IFS=,; echo "$*" | sed 's/,/, /g'; }

echo "| busy cores (of $cores) | default ($cores threads), images/s | 1 thread, images/s | default / 1 thread, each round | median | default on one thread |"
echo "|---|---:|---:|---|---:|---:|"
for busy in 0 1 "$cores"; do
    start_hogs "$busy"
    defaults=() ones=() ratios=() alone=()
    for round in $(seq "$rounds"); do
        if (( round % 2 )); then
            read -r all share < <(one_epoch_threads "$lenet" "$work/run")
            one=$(one_epoch "$lenet" "$work/run" --threads 1)
        else
            one=$(one_epoch "$lenet" "$work/run" --threads 1)
            read -r all share < <(one_epoch_threads "$lenet" "$work/run")
        fi
        defaults+=("$all") ones+=("$one") alone+=("$share")
        ratios+=("$(ratio "$all" "$one")")
    done
    stop_hogs
    share=$(printf '%s\n' "${alone[@]}" | median)
    printf '| %s | %.0f | %.0f | %s | %s | %s |\n' "$busy" \
        "$(printf '%s\n' "${defaults[@]}" | median)" "$(printf '%s\n' "${ones[@]}" | median)" \
        "$(list "${ratios[@]}")" "$(printf '%s\n' "${ratios[@]}" | median)" \
        "$( (( ${share%.*} > 0 )) && echo "$share%" || echo "under 10%")"
done

start_hogs 1
firsts=() ratios=()
for round in $(seq "$rounds"); do
    a=$(one_epoch "$lenet" "$work/run" --threads 1)
    b=$(one_epoch "$lenet" "$work/run" --threads 1)
    firsts+=("$a") ratios+=("$(ratio "$a" "$b")")
done
stop_hogs
printf '| 1, control: 1 thread against 1 thread | | %.0f | %s | %s | |\n' \
    "$(printf '%s\n' "${firsts[@]}" | median)" "$(list "${ratios[@]}")" "$(printf '%s\n' "${ratios[@]}" | median)"
