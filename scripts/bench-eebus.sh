#!/usr/bin/env bash
# Issue 26's EEBUS benchmark: the time from an LPC limit write of the test peer's §14a control box to the station's new
# signalled current (goal: p99 ≤ 200 ms, the vehicle's own reaction excluded), the SPINE acknowledgement, and the
# station's memory (PSS) with the EEBUS interface on, with one EEBUS session and after the writes. WRITES decreasing
# writes (default 60). Figures are printed, not asserted; the method is in scripts/bench/eebus_lpc.py.
# BIN=path uses another chargekit binary (default: the debug build); VENV=dir another venv (.venv-test).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv-test}
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q -r Tests/Interop/requirements.txt; }
if [ -z "${BIN:-}" ]; then swift build --product chargekit >/dev/null; BIN="$(swift build --show-bin-path)/chargekit"; fi
"$venv/bin/python" scripts/bench/eebus_lpc.py "$BIN" "${WRITES:-60}"
