#!/usr/bin/env bash
# Installs the Debian packages Ember needs to build and test, when any is missing.
#   scripts/setup-deps.sh [--bench | --clang]
# Idempotent and quiet when everything is present; safe without a terminal (CI=true).
set -euo pipefail

packages=(cmake ninja-build g++ ccache make pkg-config libgtest-dev libgmock-dev
          libbenchmark-dev libabsl-dev libcpp-httplib-dev libjs-chart.js librocksdb-dev
          librdkafka-dev kcat)
# `--bench` (from `make bench` only): also gnuplot, which draws docs/img/benchmarks.svg.
if [ "${1:-}" = "--bench" ]; then packages+=(gnuplot-nox); fi
# `--clang` (from `make check-thread-safety` and `make fuzz` only): clang, for
# -Wthread-safety, and its libFuzzer and sanitizer runtimes. 16, not Debian's default 14:
# libstdc++ 12's std::source_location needs clang 15 or later.
if [ "${1:-}" = "--clang" ]; then packages+=(clang-16 libclang-rt-16-dev); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing missing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once if they are absent or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
  $sudo apt-get update -qq
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
