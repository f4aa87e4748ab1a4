#!/usr/bin/env bash
# DLM benchmark (issue 7 (a)): time of one allocation cycle (release build) for 250 and 2,500 charge points with three
# limit levels (sub-distribution, operator sub-distribution, main distribution with an external meter).
# Goals: ≤ 1 ms for 250 and ≤ 10 ms for 2,500 per cycle. Anchors: Bender allocates every 30 s, EVerest every 1 s.
# Figures are printed, not asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product dlm-bench >/dev/null 2>&1 || swift build -c release --product dlm-bench
bench="$(swift build -c release --show-bin-path)/dlm-bench"
for n in 250 2500; do
  goal=$([ "$n" = 250 ] && echo 1000 || echo 10000)
  python3 - "$("$bench" "$n" 200)" "$goal" <<'PY'
import json, sys
r, goal = json.loads(sys.argv[1]), float(sys.argv[2])
print(f"DLM allocation, {r['chargePoints']} charge points, {r['cycles']} cycles ({r['paused']} waiting in the last):")
print(f"  mean {r['meanUs']:8.1f} µs   p99 {r['p99Us']:8.1f} µs   goal ≤ {goal/1000:g} ms: {'OK' if r['p99Us'] <= goal else 'ABOVE GOAL'}")
PY
done
