#!/usr/bin/env bash
# Microsoft's SARIF multitool, from the npm registry, for tests/test_sarif.py (the test is skipped
# when it is not there). Installed once into .venv/npm; a machine without npm, or an install that
# fails, only skips that test.
set -u
prefix="${VENV:-.venv}/npm"
if [ -x "$prefix/node_modules/.bin/sarif-multitool" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "note: npm not found; the SARIF multitool test will be skipped" >&2
  exit 0
fi
mkdir -p "$prefix"
if ! npm install --prefix "$prefix" --no-audit --no-fund --silent @microsoft/sarif-multitool@5.7.0 >/dev/null 2>&1; then
  echo "note: npm could not install @microsoft/sarif-multitool; the SARIF multitool test will be skipped" >&2
  exit 0
fi
# the package's postinstall (chmod u+x) may not run under npm's script policy
chmod u+x "$prefix"/node_modules/@microsoft/sarif-multitool-*/Sarif.Multitool 2>/dev/null || true
exit 0
