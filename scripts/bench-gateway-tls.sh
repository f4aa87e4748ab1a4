#!/usr/bin/env bash
# Gateway TLS benchmark (issue 28): TLS handshake CPU and memory per connection of `chargekit gateway` on security
#   profile 3 (wss with client certificates of a CA configured on the gateway, CN = ChargerID) with 1,000 chargers, against
#   `openssl s_server` requiring client certificates of the same CA in the same run (OpenSSL's own cost of a handshake).
#   The chargers (Python websockets + ssl, scripts/bench/gateway_tls_bench.py) open their WebSocket and stay connected.
#   Goals: ≤ 1 ms CPU per handshake beyond OpenSSL's own cost, ≤ 60 kB per connection. Figures are printed, not asserted.
# Usage: scripts/bench-gateway-tls.sh [--chargers 1000] [--concurrency 50] [--bin path/to/chargekit]
set -euo pipefail
cd "$(dirname "$0")/.."
chargers=1000
concurrency=50
bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --chargers) chargers="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    *) echo "usage: $0 [--chargers N] [--concurrency C] [--bin chargekit]" >&2; exit 2 ;;
  esac
done
ulimit -n "$(ulimit -Hn)"
venv=.venv-test
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/requirements.txt
if [ -z "$bin" ]; then
  swift build -c release --product chargekit >/dev/null 2>&1 || swift build -c release --product chargekit
  bin="$(swift build -c release --show-bin-path)/chargekit"
fi
"$venv/bin/python" scripts/bench/gateway_tls_bench.py "$bin" "$chargers" "$concurrency"
