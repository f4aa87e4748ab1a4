#!/usr/bin/env bash
# OCPP codec benchmark, same run: decode + validate a MeterValues CALL and encode its CALLRESULT — ChargeKit's OCPP16
# library (release) vs the Python `ocpp` library (jsonschema validation), for a 1 KB frame (7 sampled values, the
# issue's size) and a 1.6 KB frame (11 sampled values).
# Goals (issue 31): ≤ 4 µs for the 1 KB frame and ≤ 6 µs for the 1.6 KB one (issue 4: ≥ 20× the Python library).
# Wall-clock figures are the median of 3 runs; with valgrind installed, the instructions per message (callgrind: the
# same on a busy machine as on a quiet one) follow. Figures are printed, not asserted.
# SCRATCH_PATH=.build-x builds into another scratch directory (default .build), VENV=dir uses another venv (.venv-test).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv-test}
scratch=${SCRATCH_PATH:-.build}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "ocpp==2.1.0"
swift build -c release --product ocpp-bench --scratch-path "$scratch" >/dev/null 2>&1 || swift build -c release --product ocpp-bench --scratch-path "$scratch"
bench="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/ocpp-bench"
frame=$(mktemp)
trap 'rm -f "$frame"' EXIT
"$bench" --stages 2>/dev/null | sed 's/^/  ChargeKit stage (1 KB) /'
for samples in 7 11; do
  runs=()
  for _ in 1 2 3; do runs+=("$("$bench" 100000 --samples "$samples" 2>"$frame")"); done
  python_json=$("$venv/bin/python" scripts/bench/ocpp_python.py "$frame" 3000)
  instructions=""
  if command -v valgrind >/dev/null; then
    # Per message: the difference between 2,000 messages and none (start-up and warm-up cancel out).
    count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" "$1" --samples "$samples" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'; }
    instructions=$(( ($(count 2000) - $(count 0)) / 2000 ))
  fi
  python3 - "$python_json" "$instructions" "${runs[@]}" <<'PY'
import json, statistics, sys
p, instructions = json.loads(sys.argv[1]), sys.argv[2]
runs = [json.loads(r) for r in sys.argv[3:]]
s = runs[0]
us = statistics.median(r['usPerMessage'] for r in runs)
goal = 4 if s['bytes'] < 1300 else 6
print(f"MeterValues CALL of {s['bytes']} bytes: decode + validate + CALLRESULT")
each = ", ".join("%.1f" % r["usPerMessage"] for r in runs)
print(f"  ChargeKit OCPP16   {us:8.1f} µs (median of {each})   goal ≤ {goal} µs: {'OK' if us <= goal else 'ABOVE GOAL'}")
if instructions:
    print(f"  ChargeKit OCPP16   {int(instructions):,} instructions per message (callgrind)")
print(f"  Python ocpp 2.1.0  {p['usPerMessage']:8.1f} µs")
ratio = p['usPerMessage'] / us
print(f"  ratio {ratio:.1f}×   goal ≥ 20×: {'OK' if ratio >= 20 else 'BELOW GOAL'}")
PY
done
