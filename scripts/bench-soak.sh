#!/usr/bin/env bash
# Accelerated 24 h soak (issue 31 item 2): a simulated two-connector station at `--time-scale 600` (a simulated day in
# 144 s) connected to the Python `ocpp` central system, both connectors cycling sessions, the status API and web pages
# polled; samples PSS, Pss_Anon, RSS and the database, prints their slopes per simulated hour and per real minute after a
# warm-up of 26 simulated hours, the sessions and OCPP messages, and exits non-zero if Pss_Anon or the database grows
# beyond its bound per simulated day (scripts/bench/soak.py). About 6 minutes.
# Usage: scripts/bench-soak.sh [--bin PATH] [--time-scale S] [--hours H] [--warm-up-hours H]
# (without --bin it builds and measures the appliance binary, see scripts/bench/appliance-binary.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/appliance-binary.sh
venv=.venv-test
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/requirements.txt
exec "$venv/bin/python" scripts/bench/soak.py "$BIN" "$venv/bin/python" "${ARGS[@]}"
