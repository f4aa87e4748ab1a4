#!/usr/bin/env bash
# The station database on the acknowledgement path (issue 31 item 1: GRDB replaced by the SQLite target): a session's
# start with its StartTransaction queued, meter samples with the hardware state, MeterValues queued, the queue head
# read and the delivered message retired, the stop with its StopTransaction, an event — each one committed write, on a
# file in WAL mode opened as the station opens it (persistence-bench, release). The peer in the same run: the same SQL
# in the same transactions on the same SQLite settings through CPython's sqlite3 module (scripts/bench/persistence_python.py),
# i.e. what SQLite itself costs. Figures (p50/p99 per operation, µs) are printed, not asserted. With valgrind installed,
# the instructions per round follow (callgrind, 200 rounds minus 100 so that opening the file does not count): the
# same count on a busy machine as on a quiet one, so a before/after comparison holds on a shared build host.
# Usage: scripts/bench-persistence.sh [--rounds N] [--bin PATH]   (--bin: a persistence-bench built before, e.g. of an
# earlier commit, for a before/after comparison; SCRATCH_PATH=dir builds into another scratch directory, default .build)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=500
bin=""
while (($#)); do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$bin" ]]; then
  build=(swift build -c release --product persistence-bench --scratch-path "${SCRATCH_PATH:-.build}")
  "${build[@]}" >/dev/null 2>&1 || "${build[@]}"
  bin="$("${build[@]}" --show-bin-path)/persistence-bench"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== ChargeKit: the station's statements on its SQLite layer ($bin), $rounds sessions"
"$bin" "$work/swift" "$rounds"
echo "== peer: the same SQL through CPython's sqlite3 ($(python3 -c 'import sqlite3; print("SQLite", sqlite3.sqlite_version)'))"
python3 scripts/bench/persistence_python.py "$work/python" "$rounds"
if command -v valgrind >/dev/null; then
  instructions() {
    rm -rf "$work/cg-$1"
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$bin" "$work/cg-$1" "$1" >/dev/null 2>"$work/cg.err"
    sed -n 's/^summary: //p' "$work/cg.out"
  }
  low="$(instructions 100)"
  high="$(instructions 200)"
  echo "== instructions per round (callgrind; a round: start, 5 samples, MeterValues, 3 deliveries, stop, event): $(((high - low) / 100))"
fi
