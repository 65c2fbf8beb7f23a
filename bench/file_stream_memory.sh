#!/usr/bin/env bash
# Peak memory of textFileStream on one file of short lines: runs examples/hdfs_word_count
# on a fresh directory, moves in a file of <MB> megabytes of 3-byte lines ("ab\n") after
# 3 s, stops the job after <seconds>, and prints the file size and the job's peak RSS.
#   bench/file_stream_memory.sh <build dir> [MB, default 20] [seconds, default 8]
set -euo pipefail
build=$1
mb=${2:-20}
seconds=${3:-8}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/watched" "$work/staging"
lines=$((mb * 1024 * 1024 / 3))
yes ab | head -n "$lines" > "$work/staging/short-lines.txt" || true
(sleep 3; mv "$work/staging/short-lines.txt" "$work/watched/") &
/usr/bin/time -f "%M" -o "$work/rss" timeout -s INT "$seconds" \
  "$build/examples/hdfs_word_count" "$work/watched" --conf ember.ui.enabled=false \
  > "$work/out" 2>&1 || true
wait
grep -q "(ab,$lines)" "$work/out" || { echo "the count of 'ab' is not $lines:"; tail -20 "$work/out"; exit 1; }
echo "file: $mb MB, $lines lines; peak RSS of the job: $(( $(tail -n 1 "$work/rss") / 1024 )) MB"
