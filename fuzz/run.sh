#!/usr/bin/env bash
# Runs every fuzzer in <dir> for <seconds> each, from the seeds in fuzz/corpus/<name>/ (the
# seeds are read, never changed). A crash, a leak, an out-of-memory or a time-out fails the
# run and leaves the input that caused it in <dir>/findings/ with the command to replay it.
#   fuzz/run.sh <dir with the fuzz_* programs> [seconds per fuzzer, default 20]
set -euo pipefail
dir=$(cd "$1" && pwd)
seconds=${2:-20}
seeds=$(cd "$(dirname "$0")" && pwd)/corpus
findings=$dir/findings
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-16 || command -v llvm-symbolizer || true)}
mkdir -p "$findings"
failed=()
for fuzzer in "$dir"/fuzz_*; do
  [ -x "$fuzzer" ] || continue
  name=$(basename "$fuzzer")
  name=${name#fuzz_}
  work=$(mktemp -d)
  corpus=("$work")
  [ -d "$seeds/$name" ] && corpus+=("$seeds/$name")
  if (cd "$work" && "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/$name-" \
        "${corpus[@]}" > "$work/log" 2>&1); then
    runs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz $name: ${runs} inputs in ${seconds} s, nothing found"
  else
    echo "fuzz $name: FAILED; the input is in $findings/, replay with: $fuzzer <input>"
    tail -n 60 "$work/log"
    failed+=("$name")
  fi
  rm -rf "$work"
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: ${#failed[@]} fuzzer(s) found a problem: ${failed[*]}"
  exit 1
fi
