#!/usr/bin/env bash
# The `bench-smoke` test of the default suite: every ember-bench workload for a couple of
# small batches with --verify (each checks its results against an independent computation
# and exits non-zero on a mismatch). A few seconds in all.
#   bench/smoke.sh build/bench/ember-bench
set -euo pipefail
bench=${1:?usage: smoke.sh path/to/ember-bench}
small=(--corpus-mb 2 --verify)
run() {
  echo "\$ ember-bench $*"
  "$bench" "$@" | tail -n 1
}
run wordcount --batches 2 --rate 20000 "${small[@]}"
run baseline-wordcount --batches 2 --rate 20000 "${small[@]}"
run grep --batches 2 --rate 20000 "${small[@]}"
run topk --batches 5 --window-batches 3 --rate 20000 "${small[@]}"
run window --batches 3 --window-batches 3 --batch-ms 100 --rate 20000 "${small[@]}"
run ysb --format binary --batches 3 --window-batches 2 --rate 50000 --verify
run ysb --format json --batches 3 --window-batches 2 --rate 50000 --verify
run ysb --format json --join rdd --batches 3 --window-batches 2 --rate 50000 --verify
run latency --batch-ms 10 --rate 20000 --seconds 1 --verify
run overload --backpressure --batch-ms 200 --seconds 2 "${small[@]}"
run kafka --batches 2 --rate 20000 "${small[@]}"
# The checks must catch a wrong result: one corrupted record must fail each workload.
for w in "wordcount --batches 2" "grep --batches 2" "topk --batches 2 --window-batches 2" \
         "window --batches 1 --window-batches 2" "ysb --format json --batches 2 --window-batches 1" \
         "latency --batch-ms 10 --seconds 0.5" "overload --backpressure --batch-ms 200 --seconds 1" \
         "kafka --batches 2"; do
  rc=0
  # shellcheck disable=SC2086
  "$bench" $w --rate 20000 --corpus-mb 2 --verify --inject-fault >/dev/null 2>&1 || rc=$?
  if [ "$rc" -ne 2 ]; then  # 2: the check found a mismatch
    echo "bench-smoke: --verify did not catch the injected fault (exit $rc) in: $w" >&2
    exit 1
  fi
done
echo "bench-smoke: all workloads verified; injected faults caught"
