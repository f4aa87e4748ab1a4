#!/usr/bin/env bash
# DLM reaction benchmark (issue 7 (b)): from a grid meter register change to every one of 250 slaves having its new
# grant, over real UDP sockets on loopback. A release `chargekit station` is the DLM Master (Standalone) and polls a
# pymodbus meter every 20 ms; 250 lightweight slaves (Tests/Interop/dlm_peer.py) run in one Python process.
# Goal: p99 ≤ 50 ms. Figures are printed, not asserted.
# Usage: scripts/bench-dlm-reaction.sh [SLAVES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-test
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/requirements.txt
swift build -c release --product chargekit >/dev/null 2>&1 || swift build -c release --product chargekit
bin="$(swift build -c release --show-bin-path)/chargekit"
"$venv/bin/python" -W ignore scripts/bench/dlm_reaction.py "$bin" "${1:-250}" "${2:-100}" 2> >(grep -v -i "deprecated\|SimData\|upgrade_40" >&2)
