#!/usr/bin/env bash
# Regenerates scripts/bench/symbol-order.txt, the linker's symbol ordering file of the appliance binary (issue 31
# item 2): the functions a station runs, in tiers (what keeps running while charging, what runs once or now and then,
# what only the start runs), so that lld puts them together at the start of `.text` and the station's resident share of
# its own binary follows the code it runs, not the binary's size. The unstripped appliance binary runs under valgrind's
# callgrind, once as scripts/bench.sh measures it (both connectors charging, the status API, the web pages) and once
# with an OCPP central system and the Modbus TCP server on (scripts/bench/symbol_order.py says what each run does and
# how its profile is cut into parts). About 5 minutes after the build.
#
# When: after a change that moves much of what a station runs (a new subsystem on the station's path, a dependency
# updated or replaced, a new Swift toolchain), and before measuring memory for the README — from the binary of the
# commit that is measured: link-time optimization renumbers its outlined functions whenever code changes. A stale list
# costs memory, never correctness: symbols it names that are gone are skipped, functions it does not name are placed
# after the listed ones as before. scripts/bench.sh shows the effect (Pss_File).
# Usage: scripts/symbol-order.sh [--bin PATH]   (PATH: an unstripped appliance binary built before; installs valgrind
# and the test venv if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/appliance-binary.sh
if ! command -v valgrind >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi
venv=.venv-test
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/requirements.txt
"$venv/bin/python" scripts/bench/symbol_order.py "$BIN" "$venv/bin/python" scripts/bench/symbol-order.txt
# SwiftPM does not see the list as an input of the link: the appliance build's binary goes, so that its next build links
# again with the new order.
source scripts/bench/appliance-flags.sh
rm -f "$(swift build "${APPLIANCE_BUILD_FLAGS[@]}" --product chargekit --scratch-path .build-static --show-bin-path)/chargekit"
