#!/usr/bin/env bash
# Runs the benchmark set and prints a markdown table of the results (used by `make bench`;
# paste the table into docs/benchmarks.md with the date and machine).
#   bench/run.sh [build-dir] [seconds]
set -euo pipefail
build=${1:-build}
seconds=${2:-10}
bench="$build/bench/ember-bench"

run() {
  echo "\$ $bench $* --seconds $seconds" >&2
  "$bench" "$@" --seconds "$seconds" | tail -n 1
}

results=()
results+=("$(run baseline-wordcount)")
results+=("$(run wordcount --threads 1)")
results+=("$(run wordcount --threads 2)")
results+=("$(run grep --threads 1)")
results+=("$(run grep --threads 2)")

echo "| workload | threads | MB/s | records/s | words/s | batches | max batch ms | p50 batch ms | fits 1 s batch | max RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for r in "${results[@]}"; do
  python3 - "$r" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f"| {r['workload']} | {r['threads']} | {r['mb_per_s']:.0f} | {r['records_per_s']:,.0f} | {r['words_per_s']:,.0f} | "
      f"{r['batches']} | {r['max_processing_ms']:.0f} | {r['p50_processing_ms']:.0f} | {'yes' if r['sustainable'] else 'no'} | {r['max_rss_mb']:.0f} |")
PY
done
