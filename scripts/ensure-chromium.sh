#!/usr/bin/env bash
# Makes sure Debian's `chromium` is on PATH for the headless browser test (tests/serve/test_browser.py).
# Playwright's own browser download needs the internet, so the system package is used instead:
# when `chromium` is missing it is installed with apt-get (as root, or through sudo).
# Used by `make test` and `.ci/run`; does nothing when chromium is already installed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing and this is not a Debian/Ubuntu system: install Chromium so that \`chromium\` is on PATH" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "chromium is missing and installing it needs root: run \`apt-get install chromium\` as root, then \`make test\`" >&2
    exit 1
  fi
fi
echo "installing Debian's chromium for the browser test (apt-get install chromium) ..."
# wait for another apt/dpkg run (e.g. a parallel install) instead of failing on its lock
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
chromium --version
