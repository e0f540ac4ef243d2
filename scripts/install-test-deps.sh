#!/usr/bin/env bash
# Installs the real SIP peers (SIPp, baresip) and the browser (Chromium) the test suite
# drives, when missing.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

need=()
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v baresip >/dev/null 2>&1 || need+=(baresip-core)
# Browser tests drive Debian's Chromium through playwright-core (no browser download).
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "twinline tests need: ${need[*]} (run as root or install them: apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  echo "installing test peers: ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
