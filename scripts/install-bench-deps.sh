#!/usr/bin/env bash
# Installs what `npm run bench` drives, when missing: SIPp, Kamailio (the side-by-side
# column) and taskset (pinning server and load generator to their own cores).
set -euo pipefail

need=()
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v kamailio >/dev/null 2>&1 || need+=(kamailio)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "the benchmarks want: ${need[*]} (run as root or install them: apt-get install -y ${need[*]}); continuing without" >&2
    exit 0
  fi
  echo "installing benchmark tools: ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || echo "could not install ${need[*]}; the benches that need them will say so" >&2
fi
