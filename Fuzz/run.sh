#!/usr/bin/env bash
# Builds the fuzzer with libFuzzer and runs every target for RUNS inputs (default 1,000,000),
# starting from seeds/<target>/ and keeping what it learns in corpus/<target>/ (not committed).
# A crash, a timeout (5 s), more than 2 GB of memory or a single allocation over 512 MB stops the
# target and leaves the input in crashes/<target>/: add it to the tests, fix, and run again.
#
#   Fuzz/run.sh [RUNS] [TARGET...]        e.g. Fuzz/run.sh 1000000 png safetensors
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-1000000}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(idx gzip safetensors png pnm jpeg jpeg-crafted png-crafted pnm-crafted image json npy resume)
swift build -c release -Xswiftc -sanitize=fuzzer 2>&1 | tail -1
status=0
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "crashes/$target"
  start=$(date +%s)
  if SWIFT_BACKTRACE=enable=no LENET_FUZZ_TARGET=$target .build/release/LeNetFuzz -runs="$runs" -max_len=8192 -timeout=5 -rss_limit_mb=2048 \
       -malloc_limit_mb=512 -artifact_prefix="crashes/$target/" -print_final_stats=1 "corpus/$target" "seeds/$target" \
       > "corpus/$target.log" 2>&1; then
    echo "$target: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "corpus/$target.log" | grep -o '[0-9]*$') inputs, no failure ($(( $(date +%s) - start )) s, coverage $(grep -o 'cov: [0-9]*' "corpus/$target.log" | tail -1))"
  else
    echo "$target: FAILED, see Fuzz/corpus/$target.log and Fuzz/crashes/$target/"; tail -20 "corpus/$target.log"; status=1
  fi
done
exit $status
