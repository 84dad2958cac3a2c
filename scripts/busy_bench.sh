#!/usr/bin/env bash
# Training on a machine that is doing other things: one epoch of the write-up's recipe
# (`lenet train --schedule 1x0.0005`) with the default thread count (every core) and with one
# thread, while 0, 1 and then every core is held by a busy loop of another process.
#
# Each round runs three epochs in turn: the default, one thread, and one thread again (the
# control), in an order that rotates from round to round, so that all three see the same machine.
# A row prints, over ROUNDS (5) rounds: the median images/s of the default and of one thread; each
# round's default / one thread and their median; each round's control / one thread, whose spread
# is the machine's own noise, the yardstick for the ratios beside it; and the median share of the
# default's training that its pool ran on one thread because sharing out measured no gain (the run
# says so from a tenth up).
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
middle() { printf '%s\n' "$@" | median; }

echo "| busy cores (of $cores) | default ($cores threads), images/s | 1 thread, images/s | default / 1 thread, each round | median | control: 1 thread / 1 thread | median | default on one thread |"
echo "|---|---:|---:|---|---:|---|---:|---:|"
for busy in 0 1 "$cores"; do
    start_hogs "$busy"
    defaults=() ones=() ratios=() controls=() alone=()
    for round in $(seq "$rounds"); do
        all="" share="" one="" again=""
        for turn in 0 1 2; do
            case $(( (round + turn) % 3 )) in
                0) read -r all share < <(one_epoch_threads "$lenet" "$work/run") ;;
                1) one=$(one_epoch "$lenet" "$work/run" --threads 1) ;;
                2) again=$(one_epoch "$lenet" "$work/run" --threads 1) ;;
            esac
        done
        defaults+=("$all") ones+=("$one") alone+=("$share")
        ratios+=("$(ratio "$all" "$one")") controls+=("$(ratio "$again" "$one")")
    done
    stop_hogs
    share=$(middle "${alone[@]}")
    printf '| %s | %.0f | %.0f | %s | %s | %s | %s | %s |\n' "$busy" "$(middle "${defaults[@]}")" "$(middle "${ones[@]}")" \
        "$(list "${ratios[@]}")" "$(middle "${ratios[@]}")" "$(list "${controls[@]}")" "$(middle "${controls[@]}")" \
        "$( (( ${share%.*} > 0 )) && echo "$share%" || echo "under 10%")"
done
