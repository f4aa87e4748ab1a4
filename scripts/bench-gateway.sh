#!/usr/bin/env bash
# Gateway benchmark (issues 9 and 31): the gateway as an OCPP 1.6J central system beyond the register map's 20 chargers.
#   1,000 and then 10,000 charge points (scripts/bench/ocpp_load.py, asyncio + websockets in worker processes of at most
#   10,000 chargers each, each worker on its own source address 127.0.<run>.<10+n>, new addresses for every run) boot,
#   send StatusNotifications, then Heartbeat every 60 s and MeterValues every 10 s — against `chargekit gateway`
#   (release, --accept-unconfigured on) and, in the same run, against a minimal central system on the Python `ocpp`
#   library (scripts/bench/ocpp_central_system.py).
#   Reports connect time for all, CALL→CALLRESULT p50/p99, msg/s, the server's CPU seconds and PSS, msg per CPU-second,
#   and the memory per connected charger (PSS growth / chargers). The Python central system runs up to --reference-max
#   chargers (10,000: above it it does not keep up at all); the gateway at every size.
#   Then throughput per core: 200 charge points sending MeterValues back to back, msg per CPU-second of each server.
#   Goals: 10,000 chargers within 60 s, p99 ≤ 10 ms at ~1,200 msg/s, PSS ≤ 600 MB, ≥ 10× the Python CS's msg/s per core;
#   issue 31: 50,000 chargers within 60 s, p99 ≤ 10 ms at ~5,800 msg/s, ≤ 15 kB per idle charger, ≤ 1 GB.
#   50,000 connections need a descriptor hard limit above 50,600 (the script raises it when it may: root with
#   CAP_SYS_RESOURCE); under a lower one a size is lowered to what fits, and the output says so.
#   With --before-bin PATH (an earlier commit's release binary) every size and the saturation run also run that binary,
#   right before the current one: before and after in the same run.
#   Figures are printed, not asserted.
# Usage: scripts/bench-gateway.sh [--chargers 1000,10000] [--seconds 60] [--reference-max 10000] [--bin PATH] [--before-bin PATH]
set -euo pipefail
cd "$(dirname "$0")/.."
chargers=1000,10000
seconds=60
reference_max=10000
bin=
before_bin=
while [ $# -gt 0 ]; do
  case "$1" in
    --chargers) chargers="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --reference-max) reference_max="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --before-bin) before_bin="$2"; shift 2 ;;
    *) echo "usage: $0 [--chargers N,M] [--seconds S] [--reference-max N] [--bin PATH] [--before-bin PATH]" >&2; exit 2 ;;
  esac
done
ulimit -Hn 131072 2>/dev/null || true  # one descriptor per charger; allowed with CAP_SYS_RESOURCE
ulimit -n "$(ulimit -Hn)"
venv=.venv-test
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/requirements.txt
"$venv/bin/pip" install -q --disable-pip-version-check uvloop  # the load generator's event loop (ocpp_load.py)
# tcpdump: the gateway's own answer time, from the packets (scripts/bench/wire_latency.py)
command -v tcpdump >/dev/null || apt-get install -y -q tcpdump >/dev/null 2>&1 || echo "tcpdump not installed: no wire latency"
if [ -z "$bin" ]; then
  swift build -c release --product chargekit >/dev/null 2>&1 || swift build -c release --product chargekit
  bin="$(swift build -c release --show-bin-path)/chargekit"
fi
echo "descriptor limit $(ulimit -n); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
"$venv/bin/python" scripts/bench/gateway_bench.py "$bin" "$venv/bin/python" "$chargers" "$seconds" "$reference_max" "$before_bin"
