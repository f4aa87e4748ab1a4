#!/usr/bin/env bash
# Web interface and API latency (issue 8): a release `chargekit station --simulate` with both connectors charging;
# one client logged in as the installer times sequential requests (keep-alive) to the API and every kind of page,
# including a form save. Reference in the same run: the static stylesheet (the HTTP stack's floor).
# Goal: p99 ≤ 10 ms for every route. Figures are printed, not asserted.
# Usage: scripts/bench-web.sh [REQUESTS_PER_ROUTE]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product chargekit >/dev/null 2>&1 || swift build -c release --product chargekit
bin="$(swift build -c release --show-bin-path)/chargekit"
python3 scripts/bench/web_latency.py "$bin" "${1:-1000}"
