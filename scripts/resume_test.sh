#!/usr/bin/env bash
# Nothing lost: (1) Ctrl-C in the middle of `lenet train` saves resume.safetensors and
# `lenet train --resume` ends with a model.safetensors byte-identical to an uninterrupted run's;
# (2) kill -9 at random moments while a checkpoint is saved after every batch never leaves a broken
# resume.safetensors: each time it loads, and resuming from it still ends byte-identical.
#
#   scripts/resume_test.sh [path/to/lenet]
set -euo pipefail
cd "$(dirname "$0")/.."
lenet=${1:-.build/release/lenet}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
recipe=(--limit 6400 --schedule 3x0.002,2x0.001 --log-interval 20 --threads 1 -q)

"$lenet" train "${recipe[@]}" --output "$work/whole" > /dev/null
echo "uninterrupted run: $(sha256sum < "$work/whole/model.safetensors" | cut -c1-16)"

echo "== SIGINT, then --resume"
"$lenet" train "${recipe[@]}" --output "$work/int" --checkpoint-every 40 > "$work/int.log" 2>&1 &
pid=$!
# Signal once the first periodic checkpoint (batch 40 of the first of 5 epochs) is on disk, so the
# signal lands inside the run however fast the machine; the state it saves is the later one.
for _ in $(seq 600); do [ -f "$work/int/resume.safetensors" ] && break; sleep 0.02; done
kill -INT $pid
status=0; wait $pid || status=$?
cat "$work/int.log"
[ "$status" -eq 130 ] || { echo "FAIL: an interrupted run should exit with 130, got $status"; exit 1; }
[ -f "$work/int/resume.safetensors" ] || { echo "FAIL: no resume.safetensors"; exit 1; }
"$lenet" train --resume "$work/int" -q > /dev/null
cmp "$work/whole/model.safetensors" "$work/int/model.safetensors" || { echo "FAIL: the resumed model differs"; exit 1; }
[ ! -f "$work/int/resume.safetensors" ] || { echo "FAIL: resume.safetensors left behind after the run finished"; exit 1; }
echo "resumed after SIGINT: byte-identical model"

echo "== the modern recipe (its rate curve and per-image distortions): SIGINT, then --resume"
modern=(--recipe modern --limit 6400 --schedule 3x0.05 --threads 1 -q)
"$lenet" train "${modern[@]}" --output "$work/modern-whole" > /dev/null
"$lenet" train "${modern[@]}" --output "$work/modern" --checkpoint-every 40 > "$work/modern.log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -f "$work/modern/resume.safetensors" ] && break; sleep 0.02; done
kill -INT $pid
status=0; wait $pid || status=$?
[ "$status" -eq 130 ] || { cat "$work/modern.log"; echo "FAIL: the interrupted modern run should exit with 130, got $status"; exit 1; }
"$lenet" train --resume "$work/modern" -q > /dev/null
cmp "$work/modern-whole/model.safetensors" "$work/modern/model.safetensors" || { echo "FAIL: the resumed modern run differs"; exit 1; }
echo "modern recipe resumed after SIGINT: byte-identical model"

echo "== kill -9 while checkpoints are written after every batch"
for round in 1 2 3 4 5; do
  rm -rf "$work/k9"
  "$lenet" train "${recipe[@]}" --output "$work/k9" --checkpoint-every 1 > /dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1.5 + (r % 150) / 100 }')"
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  [ -f "$work/k9/resume.safetensors" ] || { echo "round $round: killed before the first checkpoint, trying again"; continue; }
  "$lenet" info "$work/k9/resume.safetensors" | grep -oE '"(epochs_done|batch)":[0-9]+' | tr '\n' ' '; echo
  "$lenet" train --resume "$work/k9" -q > /dev/null
  cmp "$work/whole/model.safetensors" "$work/k9/model.safetensors" || { echo "FAIL: round $round: resumed model differs"; exit 1; }
  echo "round $round: killed, the checkpoint loads, and resuming ends byte-identical"
done
echo "== the 1998 model: SIGINT inside a pass, then --resume (restarts that pass)"
paper=(--model lenet5-1998 --limit 2000 --passes 4 --distort --threads 1 -q)
"$lenet" train "${paper[@]}" --output "$work/paper-whole" > /dev/null
"$lenet" train "${paper[@]}" --output "$work/paper" > "$work/paper.log" 2>&1 &
pid=$!
# The examples of distortions are written just before the first pass (each pass takes 1.5-2.5 s here),
# so a signal half a second after they appear lands inside the first of four passes on any machine.
for _ in $(seq 300); do [ -f "$work/paper/distortions.png" ] && break; sleep 0.1; done
sleep 0.5
kill -INT $pid
status=0; wait $pid || status=$?
cat "$work/paper.log"
[ "$status" -eq 130 ] || { echo "FAIL: the interrupted 1998 run should exit with 130, got $status"; exit 1; }
"${lenet}" train --resume "$work/paper" -q > /dev/null
cmp "$work/paper-whole/model.safetensors" "$work/paper/model.safetensors" || { echo "FAIL: the resumed 1998 model differs"; exit 1; }
echo "1998 model resumed after SIGINT: byte-identical model"

echo "== either optimizer on either model: SIGINT once a checkpoint exists, then --resume"
for combo in "--model lenet5-1998 --optimizer sgd --limit 3200 --schedule 2x0.001 --checkpoint-every 5" \
             "--model lenet5 --optimizer sdlm --limit 20000 --passes 3 --checkpoint-every 1"; do
  read -r -a args <<< "$combo"
  rm -rf "$work/cross-whole" "$work/cross"
  "$lenet" train "${args[@]}" --threads 1 -q --output "$work/cross-whole" > /dev/null
  "$lenet" train "${args[@]}" --threads 1 -q --output "$work/cross" > "$work/cross.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do [ -f "$work/cross/resume.safetensors" ] && break; sleep 0.05; done
  kill -INT $pid
  status=0; wait $pid || status=$?
  [ "$status" -eq 130 ] || { cat "$work/cross.log"; echo "FAIL: $combo: the interrupted run should exit with 130, got $status"; exit 1; }
  "$lenet" train --resume "$work/cross" -q > /dev/null
  cmp "$work/cross-whole/model.safetensors" "$work/cross/model.safetensors" || { echo "FAIL: $combo: the resumed model differs"; exit 1; }
  echo "$combo: interrupted, resumed, byte-identical model"
done

echo "== a periodic checkpoint that cannot be written loses nothing (both models)"
for model in lenet5 lenet5-1998; do
  rm -rf "$work/blocked"; mkdir -p "$work/blocked/resume.safetensors"  # a folder where the checkpoint goes
  if [ $model = lenet5 ]; then args=(--limit 2000 --schedule 1x0.001 --checkpoint-every 5); else args=(--model lenet5-1998 --limit 1000 --passes 2 --checkpoint-every 1); fi
  status=0; "$lenet" train "${args[@]}" --threads 1 -q --output "$work/blocked" > "$work/blocked.log" 2>&1 || status=$?
  tail -2 "$work/blocked.log"
  [ "$status" -eq 1 ] || { echo "FAIL: $model: a failed periodic checkpoint should end with status 1, got $status"; exit 1; }
  [ -f "$work/blocked/model.safetensors" ] || { echo "FAIL: $model: the finished model was not saved"; exit 1; }
  [ -f "$work/blocked/report.html" ] || { echo "FAIL: $model: the reports were not written"; exit 1; }
  grep -q "periodic checkpoint could not be saved" "$work/blocked.log" || { echo "FAIL: $model: the checkpoint's failure was not reported"; exit 1; }
  [ -d "$work/blocked/resume.safetensors" ] || { echo "FAIL: $model: the folder in the checkpoint's place was removed"; exit 1; }
  echo "$model: the checkpoint failed, the finished model and reports were saved, the failure reported after them"
done
echo "resume test passed"
