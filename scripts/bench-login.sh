#!/usr/bin/env bash
# A logged-in user's page time while the login form is flooded (issue 20 item 5): no flood as the reference, 50 wrong
# logins a second from one address, and 50 a second from 50 loopback addresses. Figures are printed, not asserted.
# Usage: scripts/bench-login.sh [SECONDS_PER_PHASE] [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${2:-}"
if [ -z "$bin" ]; then
  swift build -c release --product chargekit >/dev/null 2>&1 || swift build -c release --product chargekit
  bin="$(swift build -c release --show-bin-path)/chargekit"
fi
python3 scripts/bench/login_flood.py "$bin" "${1:-10}"
