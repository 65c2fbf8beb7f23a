#!/usr/bin/env bash
# The browser test of the web UI (CTest: ui.browser.StreamingPage, labels browser and
# no-asan). Installs what it needs when it can (chromium with apt-get, playwright-core
# with npm into <work dir>) and exits 77, which CTest reports as skipped, when it cannot.
#   run.sh <work dir> <demo_word_count binary>
set -u
work=$1
demo=$2
here=$(cd "$(dirname "$0")" && pwd)
skip() {
  echo "SKIP: $*"
  exit 77
}

command -v node >/dev/null 2>&1 || skip "node is not installed (apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || skip "npm is not installed (apt-get install npm)"
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium with apt-get"
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq chromium >/dev/null 2>&1
  chromium=$(command -v chromium || true)
fi
[ -n "$chromium" ] || skip "chromium is not installed and cannot be installed here (apt-get install chromium)"

mkdir -p "$work"
if [ ! -f "$work/node_modules/playwright-core/package.json" ]; then
  echo "installing playwright-core with npm into $work"
  (cd "$work" && timeout 300 npm install --no-save --no-audit --no-fund --silent \
    playwright-core@1 >/dev/null 2>&1) ||
    skip "cannot install playwright-core from npm (no network?)"
fi
exec timeout 120 node "$here/streaming_page.cjs" "$work" "$demo" "$chromium"
