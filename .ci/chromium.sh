#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser spec (test/dashboard/), unless it is there.
# playwright-core drives it at /usr/bin/chromium; no browser is ever downloaded. Where it cannot be
# installed, the spec skips itself with a message saying so, and this script says why here.
set -uo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present) at /usr/bin/chromium"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "chromium: installing Debian's package for the dashboard browser spec"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >/tmp/chromium-install.log 2>&1; then
    echo "chromium: could not be installed (see /tmp/chromium-install.log); the dashboard browser spec will be SKIPPED"
    tail -5 /tmp/chromium-install.log || true
  fi
else
  echo "chromium: not installed and apt-get is not usable here; the dashboard browser spec will be SKIPPED"
fi

mkdir -p .ci/artifacts/dashboard
echo "dashboard screenshots (CI artifacts): $(pwd)/.ci/artifacts/dashboard"
