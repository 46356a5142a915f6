#!/usr/bin/env bash
# Debian's Chromium for the dashboard's browser tests (playwright-core drives it; playwright's
# own browser download does not work offline). Exits 0 either way: the browser tests skip with
# a message when no Chromium can be started.
set -u
if command -v chromium >/dev/null; then
  echo "chromium: present ($(chromium --version 2>/dev/null | head -1))"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "chromium: not installed and cannot install it here (needs root and apt-get); browser tests will skip"
  exit 0
fi
if { apt-get install -y -qq chromium || { apt-get update -qq && apt-get install -y -qq chromium; }; } >/tmp/fewshot-chromium.log 2>&1; then
  echo "chromium: installed ($(chromium --version 2>/dev/null | head -1))"
else
  echo "chromium: install failed (see /tmp/fewshot-chromium.log); browser tests will skip"
fi
exit 0
