#!/usr/bin/env bash
# Modbus TCP server benchmark, same run, same machine, over loopback: FC03 reads of 125 holding registers.
#   ChargeKit (Transport.ModbusTCPServer, release build) vs a libmodbus server vs the pymodbus async server.
#   Latency (p50/p99, 1 client): one client with a connection to ChargeKit and one to libmodbus sends its requests to
#   them in turn, request by request (`modbus-bench interleave`), so that a busy machine's noise falls on both alike;
#   pymodbus (5× slower) is measured on its own. Throughput: 10 concurrent clients on each server in turn, the order
#   alternating from round to round. Each server's CPU time per request is read from /proc.
#   The ratios to libmodbus are taken within each round (--rounds); their median is the result.
#   Goal (issue 31 item 3): p50 and p99 within 1.2× of libmodbus in the same run, throughput ≥ libmodbus; and ≥ 3×
#   pymodbus' throughput. Exits 1 when a median ratio misses its goal (as bench-size.sh fails above its bound).
#   Placement (--placement): `free` (default) leaves the cores to the scheduler — the busy-machine mode. On a quiet
#   machine that decides the comparison: a wake-up on the client's core costs about 16 µs, one across cores about 48,
#   and either server can get either (session 25: per-round p50 ratios 0.31–3.22×). `one-core` pins the client and all
#   three servers to one CPU (--cpu N, default the last one allowed): every request is a switch to the server and back
#   on that core, no cross-core wake-up, the same for both servers, and the servers' own CPU time is all in the latency.
#   `split` pins the client to one CPU and the servers to another: every wake-up crosses cores (for comparison only:
#   that wake-up is most of the latency and hides the servers' own cost).
# Usage: scripts/bench-modbus.sh [--seconds N] [--rounds N] [--placement free|one-core|split] [--cpu N]
#   (installs libmodbus-dev and a venv with pymodbus if missing)
#   SCRATCH_PATH=.build-x builds into another scratch directory (default .build), VENV=dir uses another venv (.venv-test),
#   MODBUS_BENCH=path serves ChargeKit with a modbus-bench built before (e.g. the binary of the commit before a change);
#   MODBUS_LOAD=path takes the load generator from there instead of building this checkout's.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=2
rounds=5
placement=free
cpu=
usage="usage: $0 [--seconds N] [--rounds N] [--placement free|one-core|split] [--cpu N]"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --placement) placement="$2"; shift 2 ;;
    --cpu) cpu="$2"; shift 2 ;;
    *) echo "$usage" >&2; exit 64 ;;
  esac
done
# The CPUs this script may use (a container or cgroup may allow fewer than the machine has).
allowed=$(python3 -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0)))))')
[ -n "$cpu" ] || cpu=${allowed##* }
case " $allowed " in *" $cpu "*) ;; *) echo "--cpu $cpu: not one of the CPUs allowed here ($allowed)" >&2; exit 64 ;; esac
case "$placement" in
  free) client_pin=(); server_pin=() ;;
  one-core) client_pin=(taskset -c "$cpu"); server_pin=(taskset -c "$cpu") ;;
  split)
    other=$(for c in $allowed; do [ "$c" = "$cpu" ] || { echo "$c"; break; }; done)
    [ -n "$other" ] || { echo "--placement split needs two CPUs; allowed: $allowed" >&2; exit 64; }
    client_pin=(taskset -c "$other"); server_pin=(taskset -c "$cpu") ;;
  *) echo "$usage" >&2; exit 64 ;;
esac
scratch=${SCRATCH_PATH:-.build}

if ! dpkg -s libmodbus-dev >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmodbus-dev >/dev/null
fi
venv=${VENV:-.venv-test}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/requirements.txt

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
gcc -O2 -o "$work/libmodbus_server" scripts/bench/libmodbus_server.c $(pkg-config --cflags --libs libmodbus)
# The load generator is this checkout's modbus-bench (or MODBUS_LOAD); the server MODBUS_BENCH's, if given, else the same.
if [ -n "${MODBUS_LOAD:-}" ]; then
  bench=$MODBUS_LOAD
else
  swift build -c release --product modbus-bench --scratch-path "$scratch" >/dev/null 2>&1 || swift build -c release --product modbus-bench --scratch-path "$scratch"
  bench="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/modbus-bench"
fi
server=${MODBUS_BENCH:-$bench}

# Ports the kernel chooses, so that a second run or another benchmark on the machine cannot collide.
# (closed before they are printed: the servers bind them while this process may still be ending)
read -r p1 p2 p3 < <(python3 -c 'import socket
s=[socket.socket() for _ in range(3)]
[x.bind(("127.0.0.1", 0)) for x in s]
ports=[x.getsockname()[1] for x in s]
[x.close() for x in s]
print(*ports, flush=True)')
"${server_pin[@]}" "$server" serve --port "$p1" & ck=$!
"${server_pin[@]}" "$work/libmodbus_server" "$p2" & lm=$!
"${server_pin[@]}" "$venv/bin/python" scripts/bench/pymodbus_server.py "$p3" & py=$!
for port in "$p1" "$p2" "$p3"; do
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
done

# Which server ended during the run, and how (a status above 128 is a signal's).
report_exits() { for p in "$ck" "$lm" "$py"; do kill -0 "$p" 2>/dev/null || { s=0; wait "$p" || s=$?; echo "pid $p exited with status $s" >&2; }; done; }
PLACEMENT="$placement ${client_pin[*]} / ${server_pin[*]}" "${client_pin[@]}" python3 - "$bench" "$seconds" "$rounds" "ChargeKit:$p1:$ck" "libmodbus:$p2:$lm" "pymodbus:$p3:$py" <<'PY' || { status=$?; [ "$status" -eq 2 ] || report_exits; exit 1; }
import json, os, statistics, subprocess, sys
bench, secs, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
servers = [a.split(':') for a in sys.argv[4:]]
tick = os.sysconf('SC_CLK_TCK')

def cpu_seconds(pid):
    fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick

def load(port, pid, clients):
    if not os.path.exists(f'/proc/{pid}'):
        sys.exit(f"the server on port {port} (pid {pid}) is gone: {[n for n, p, q in servers if q == pid][0]}")
    before = cpu_seconds(pid)
    out = json.loads(subprocess.check_output([bench, 'load', '--port', port, '--clients', str(clients), '--seconds', secs, '--quantity', '125']))
    out['cpuUs'] = (cpu_seconds(pid) - before) * 1e6 / max(1, out['requests'])
    return out

for name, port, pid in servers:
    subprocess.check_output([bench, 'load', '--port', port, '--clients', '1', '--seconds', '1', '--quantity', '125'])  # warm-up
(ck, ck_port, ck_pid), (lm, lm_port, lm_pid), (py, py_port, py_pid) = servers

def interleaved():
    """One client, requests to ChargeKit and libmodbus in turn; the CPU time of each server per request."""
    before = [cpu_seconds(p) for p in (ck_pid, lm_pid)]
    out = json.loads(subprocess.check_output([bench, 'interleave', '--ports', f'{ck_port},{lm_port}', '--seconds', secs, '--quantity', '125']))
    for o, pid, b in zip(out, (ck_pid, lm_pid), before):
        o['cpuUs'] = (cpu_seconds(pid) - b) * 1e6 / max(1, o['requests'])
    return out

lat = {name: [] for name, _, _ in servers}
thr = {name: [] for name, _, _ in servers}
for r in range(rounds):
    c, m = interleaved()
    lat[ck].append(c); lat[lm].append(m)
    lat[py].append(load(py_port, py_pid, 1))
    order = servers if r % 2 == 0 else [servers[1], servers[0], servers[2]]
    for name, port, pid in order:
        thr[name].append(load(port, pid, 10))

med = statistics.median
print(f"Modbus TCP, FC03 × 125 registers, loopback, {rounds} rounds of {secs} s per load (medians)")
client_pin, _, server_pin = os.environ['PLACEMENT'].partition(' / ')
print(f"placement: {client_pin.split(' ')[0]}; client {' '.join(client_pin.split(' ')[1:]) or 'unpinned'}, servers {server_pin or 'unpinned'}; "
      f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
print(f"{'server':<12}{'p50 µs':>10}{'p99 µs':>10}{'CPU µs/req':>12}{'req/s (10 clients)':>21}")
for name in lat:
    l, t = lat[name], thr[name]
    print(f"{name:<12}{med(x['p50us'] for x in l):>10.1f}{med(x['p99us'] for x in l):>10.1f}{med(x['cpuUs'] for x in l):>12.1f}{med(x['perSecond'] for x in t):>21.0f}")
ratio = lambda key, a, b, rows: med(x[key] / max(1e-9, y[key]) for x, y in zip(rows[a], rows[b]))
p50, p99 = ratio('p50us', ck, lm, lat), ratio('p99us', ck, lm, lat)
tput = ratio('perSecond', ck, lm, thr)
per_round = lambda key, rows: ' '.join(f"{x[key] / max(1e-9, y[key]):.2f}" for x, y in zip(rows[ck], rows[lm]))
checks = [('p50', p50, p50 <= 1.2), ('p99', p99, p99 <= 1.2), ('throughput', tput, tput >= 1)]
print()
print("ChargeKit / libmodbus in the same round (median; each round):")
print(f"  p50 {p50:.2f}× ({per_round('p50us', lat)})  goal ≤ 1.2×: {'OK' if checks[0][2] else 'ABOVE GOAL'}")
print(f"  p99 {p99:.2f}× ({per_round('p99us', lat)})  goal ≤ 1.2×: {'OK' if checks[1][2] else 'ABOVE GOAL'}")
print(f"  throughput {tput:.2f}× ({per_round('perSecond', thr)})  goal ≥ 1×: {'OK' if checks[2][2] else 'BELOW GOAL'}")
ratio_py = ratio('perSecond', ck, py, thr)
checks.append(('throughput against pymodbus', ratio_py, ratio_py >= 3))
print(f"throughput {ratio_py:.1f}× pymodbus (goal ≥ 3×): {'OK' if checks[3][2] else 'BELOW GOAL'}")
print()
print("docs/testing.md row (ChargeKit p50 / p99 µs, libmodbus p50 / p99 µs, ratios, req/s ChargeKit / libmodbus, CPU µs/req):")
c, m = lat[ck], lat[lm]
print(f"| {med(x['p50us'] for x in c):.1f} / {med(x['p99us'] for x in c):.1f} | {med(x['p50us'] for x in m):.1f} / {med(x['p99us'] for x in m):.1f} "
      f"| {p50:.2f}× / {p99:.2f}× | {med(x['perSecond'] for x in thr[ck]):.0f} / {med(x['perSecond'] for x in thr[lm]):.0f} ({tput:.2f}×) "
      f"| {med(x['cpuUs'] for x in c):.1f} / {med(x['cpuUs'] for x in m):.1f} |")
missed = [f"{name} {value:.2f}×" for name, value, ok in checks if not ok]
if missed:
    print(f"FAIL: outside the goal: {', '.join(missed)}", file=sys.stderr)
    sys.exit(2)
print("OK: within the goal")
PY
