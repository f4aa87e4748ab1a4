#!/usr/bin/env bash
# SECC response time per message type (issue 27): decode + session machine + encode of every request of an ISO 15118-2
# AC session and an ISO 15118-20 AC (Dynamic) session with external identification, in-process, release build
# (Sources/secc-bench). Goal: p99 ≤ 20 ms per message type — the vehicle's budget for a response is 2 s for most
# ISO 15118-2 requests and 0.5 s for ISO 15118-20's AC_ChargeLoopReq; what the SECC takes, the network and the
# vehicle cannot use. Figures are printed, not asserted.
#
#   scripts/bench-secc.sh [sessions]        (default 300 sessions of each protocol)
# SCRATCH_PATH=.build-x builds into another scratch directory (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH_PATH:-.build}
swift build -c release --product secc-bench --scratch-path "$scratch" >/dev/null 2>&1 || swift build -c release --product secc-bench --scratch-path "$scratch"
bench="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/secc-bench"
echo "SECC response time per message type ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)); goal p99 ≤ 20,000 µs"
"$bench" "${1:-300}"
