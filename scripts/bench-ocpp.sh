#!/usr/bin/env bash
# OCPP codec benchmark, same run: decode + validate a MeterValues CALL (~1.5 KB, 11 sampled values) and encode its
# CALLRESULT — ChargeKit's OCPP16 library (release) vs the Python `ocpp` library (jsonschema validation).
# Goals (issue 4): ≤ 10 µs per MeterValues and ≥ 20× the Python library. Figures are printed, not asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-test
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "ocpp==2.1.0"
swift build -c release --product ocpp-bench >/dev/null 2>&1 || swift build -c release --product ocpp-bench
bench="$(swift build -c release --show-bin-path)/ocpp-bench"
frame=$(mktemp)
trap 'rm -f "$frame"' EXIT
swift_json=$("$bench" 100000 2>"$frame")
python_json=$("$venv/bin/python" scripts/bench/ocpp_python.py "$frame" 3000)
"$bench" --stages 2>/dev/null | sed 's/^/  ChargeKit stage /'
python3 - "$swift_json" "$python_json" <<'PY'
import json, sys
s, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"MeterValues CALL of {s['bytes']} bytes: decode + validate + CALLRESULT")
print(f"  ChargeKit OCPP16   {s['usPerMessage']:8.1f} µs   goal ≤ 10 µs: {'OK' if s['usPerMessage'] <= 10 else 'ABOVE GOAL'}")
print(f"  Python ocpp 2.1.0  {p['usPerMessage']:8.1f} µs")
ratio = p['usPerMessage'] / s['usPerMessage']
print(f"  ratio {ratio:.1f}×   goal ≥ 20×: {'OK' if ratio >= 20 else 'BELOW GOAL'}")
PY
