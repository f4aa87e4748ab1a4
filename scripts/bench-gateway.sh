#!/usr/bin/env bash
# Gateway benchmark (issue 9): the gateway as an OCPP 1.6J central system beyond the register map's 20 chargers.
#   1,000 and then 10,000 charge points (scripts/bench/ocpp_load.py, asyncio + websockets in worker processes) boot,
#   send StatusNotifications, then Heartbeat every 60 s and MeterValues every 10 s — against `chargekit gateway`
#   (release, --accept-unconfigured on) and, in the same run, against a minimal central system on the Python `ocpp`
#   library (scripts/bench/ocpp_central_system.py).
#   Reports connect time for all, CALL→CALLRESULT p50/p99, msg/s, the server's CPU seconds and PSS, msg per CPU-second.
#   Then throughput per core: 200 charge points sending MeterValues back to back, msg per CPU-second of each server.
#   Goals: 10,000 chargers within 60 s, p99 ≤ 10 ms at ~1,200 msg/s, PSS ≤ 600 MB, ≥ 10× the Python CS's msg/s per core.
#   Figures are printed, not asserted.
# Usage: scripts/bench-gateway.sh [--chargers 1000,10000] [--seconds 60]
set -euo pipefail
cd "$(dirname "$0")/.."
chargers=1000,10000
seconds=60
while [ $# -gt 0 ]; do
  case "$1" in
    --chargers) chargers="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "usage: $0 [--chargers N,M] [--seconds S]" >&2; exit 2 ;;
  esac
done
ulimit -n "$(ulimit -Hn)"
venv=.venv-test
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/requirements.txt
swift build -c release --product chargekit >/dev/null 2>&1 || swift build -c release --product chargekit
bin="$(swift build -c release --show-bin-path)/chargekit"
"$venv/bin/python" scripts/bench/gateway_bench.py "$bin" "$venv/bin/python" "$chargers" "$seconds"
