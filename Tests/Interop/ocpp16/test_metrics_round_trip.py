"""OCPP round-trip time on /metrics (issue 30 item 1) against the Python `ocpp` central system: every CALL the station
sends and the backend answers is timed by action, the histogram is valid for `promtool check metrics`, and a call the
backend answers with a CALLERROR is counted by its code."""
import shutil
import subprocess
import urllib.request

import pytest

from station import wait_for

TOKEN = "rtt-metrics-token-0123456789"

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian prometheus) is not installed")


def scrape(station):
    req = urllib.request.Request(station.base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def series(text, prefix):
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix)}


def test_issue30_1_ocpp_round_trip_seconds_by_action(make_station):
    station = make_station(config=[("MetricsEnabled", "On"), ("MetricsToken", TOKEN)])
    # The three StatusNotifications (connectors 0–2) the central system saw are timed once their answers are back.
    key = 'chargekit_ocpp_round_trip_seconds_count{action="StatusNotification"}'
    text = wait_for(lambda: (t := scrape(station)) and series(t, key).get(key, 0) >= 3 and t, what="three timed StatusNotifications")
    counts = series(text, "chargekit_ocpp_round_trip_seconds_count")
    assert counts.get('chargekit_ocpp_round_trip_seconds_count{action="BootNotification"}') == 1, counts
    assert counts.get('chargekit_ocpp_round_trip_seconds_count{action="StatusNotification"}', 0) >= 3, counts
    sums = series(text, "chargekit_ocpp_round_trip_seconds_sum")
    boot = sums['chargekit_ocpp_round_trip_seconds_sum{action="BootNotification"}']
    assert 0 < boot < 5, f"a loopback backend answers within seconds: {boot}"
    infinite = series(text, "chargekit_ocpp_round_trip_seconds_bucket")['chargekit_ocpp_round_trip_seconds_bucket{action="BootNotification",le="+Inf"}']
    assert infinite == 1
    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ocpp_round_trip" not in check.stdout + check.stderr, "no lint findings for the histogram"
