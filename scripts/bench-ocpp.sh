#!/usr/bin/env bash
# OCPP codec benchmark, same run: decode + validate a MeterValues CALL and encode its CALLRESULT — ChargeKit's OCPP16
# library (release) vs the Python `ocpp` library (jsonschema validation), for a 1 KB frame (7 sampled values, the
# issue's size) and a 1.6 KB frame (11 sampled values).
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
"$bench" --stages 2>/dev/null | sed 's/^/  ChargeKit stage (1 KB) /'
for samples in 7 11; do
  swift_json=$("$bench" 100000 --samples "$samples" 2>"$frame")
  python_json=$("$venv/bin/python" scripts/bench/ocpp_python.py "$frame" 3000)
  python3 - "$swift_json" "$python_json" <<'PY'
import json, sys
s, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"MeterValues CALL of {s['bytes']} bytes: decode + validate + CALLRESULT")
print(f"  ChargeKit OCPP16   {s['usPerMessage']:8.1f} µs   goal ≤ 10 µs (1 KB): {'OK' if s['usPerMessage'] <= 10 else 'ABOVE GOAL'}")
print(f"  Python ocpp 2.1.0  {p['usPerMessage']:8.1f} µs")
ratio = p['usPerMessage'] / s['usPerMessage']
print(f"  ratio {ratio:.1f}×   goal ≥ 20×: {'OK' if ratio >= 20 else 'BELOW GOAL'}")
PY
done
