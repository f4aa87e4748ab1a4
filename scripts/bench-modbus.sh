#!/usr/bin/env bash
# Modbus TCP server benchmark, same run, same machine, over loopback: FC03 reads of 125 holding registers.
#   ChargeKit (Transport.ModbusTCPServer, release build) vs the pymodbus async server vs a libmodbus server.
#   p50/p99 latency with 1 client, throughput with 10 concurrent clients.
#   Goals: p99 ≤ 200 µs; ≥ 3× pymodbus throughput; within 1.5× of libmodbus. Figures are printed, not asserted.
# Usage: scripts/bench-modbus.sh [--seconds N]   (installs libmodbus-dev and a venv with pymodbus if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=5
[ "${1:-}" = "--seconds" ] && seconds="$2"

if ! dpkg -s libmodbus-dev >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmodbus-dev >/dev/null
fi
venv=.venv-test
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/requirements.txt

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
gcc -O2 -o "$work/libmodbus_server" scripts/bench/libmodbus_server.c $(pkg-config --cflags --libs libmodbus)
swift build -c release --product modbus-bench >/dev/null 2>&1 || swift build -c release --product modbus-bench
bench="$(swift build -c release --show-bin-path)/modbus-bench"

"$bench" serve --port 15502 & 
"$work/libmodbus_server" 15503 &
"$venv/bin/python" scripts/bench/pymodbus_server.py 15504 &
sleep 2

run() { "$bench" load --port "$1" --clients "$2" --seconds "$seconds" --quantity 125; }
declare -A lat thr
for entry in chargekit:15502 libmodbus:15503 pymodbus:15504; do
  name=${entry%%:*}; port=${entry##*:}
  run "$port" 1 > /dev/null             # warm-up
  lat[$name]=$(run "$port" 1)
  thr[$name]=$(run "$port" 10)
done

python3 - "$seconds" "${lat[chargekit]}" "${thr[chargekit]}" "${lat[libmodbus]}" "${thr[libmodbus]}" "${lat[pymodbus]}" "${thr[pymodbus]}" <<'PY'
import json, sys
secs = sys.argv[1]
rows = {name: (json.loads(sys.argv[2 + 2 * i]), json.loads(sys.argv[3 + 2 * i])) for i, name in enumerate(["ChargeKit", "libmodbus", "pymodbus"])}
print(f"Modbus TCP, FC03 × 125 registers, loopback, {secs} s per run")
print(f"{'server':<12}{'p50 µs (1 client)':>20}{'p99 µs (1 client)':>20}{'req/s (10 clients)':>22}")
for name, (l, t) in rows.items():
    print(f"{name:<12}{l['p50us']:>20.1f}{l['p99us']:>20.1f}{t['perSecond']:>22.0f}")
ck, lm, py = rows["ChargeKit"], rows["libmodbus"], rows["pymodbus"]
print()
print(f"p99 {ck[0]['p99us']:.0f} µs (goal ≤ 200): {'OK' if ck[0]['p99us'] <= 200 else 'ABOVE GOAL'}")
ratio_py = ck[1]['perSecond'] / max(1, py[1]['perSecond'])
print(f"throughput {ratio_py:.1f}× pymodbus (goal ≥ 3×): {'OK' if ratio_py >= 3 else 'BELOW GOAL'}")
ratio_lm = lm[1]['perSecond'] / max(1, ck[1]['perSecond'])
print(f"libmodbus / ChargeKit throughput {ratio_lm:.2f} (goal ≤ 1.5): {'OK' if ratio_lm <= 1.5 else 'ABOVE GOAL'}")
PY
