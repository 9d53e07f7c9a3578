#!/usr/bin/env bash
# Install Debian's chromium for tests/test_report.py, which opens the generated HTML report in a
# headless browser. Idempotent: does nothing when a chromium is already on PATH. Only installs when
# running as root (CI and the developer machines); otherwise says what to do and exits 0 so the test
# can skip with a clear reason.
set -euo pipefail

find_chromium() {
    for name in chromium chromium-browser google-chrome; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

if path=$(find_chromium); then
    echo "install_browser: chromium already installed: $path"
    exit 0
fi

if [ "$(id -u)" != "0" ]; then
    echo "install_browser: chromium missing and not root; run: sudo apt-get install chromium"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: chromium missing and no apt-get on this machine; install chromium by hand"
    exit 0
fi

echo "install_browser: installing Debian's chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
if path=$(find_chromium); then
    echo "install_browser: installed chromium: $path"
else
    echo "install_browser: apt-get finished but no chromium on PATH" >&2
    exit 1
fi
