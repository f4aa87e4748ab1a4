#!/usr/bin/env bash
# Issue 22's hardware benchmark: the serial round trip per poll and the time from a board state change to the OCPP
# StatusNotification (goal: p99 ≤ 100 ms at 115200 baud, the board's own latency excluded), on the OpenEVSE (RAPI) and
# EVSE-DIN (Modbus RTU) emulators of the interop suite over socat pseudo-terminals, with the Python `ocpp` central
# system. CYCLES plug/unplug cycles (default 25). Figures are printed, not asserted.
# BIN=path uses another chargekit binary (default: the debug build); VENV=dir another venv (.venv-test).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv-test}
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q -r Tests/Interop/requirements.txt; }
if [ -z "${BIN:-}" ]; then swift build --product chargekit >/dev/null; BIN="$(swift build --show-bin-path)/chargekit"; fi
CHARGEKIT_BIN="$BIN" "$venv/bin/python" scripts/bench/board_latency.py "${CYCLES:-25}"
