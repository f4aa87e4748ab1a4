"""Times the station's web interface and API while both connectors charge (see scripts/bench-web.sh)."""
import statistics
import sys
import tempfile
import time
from pathlib import Path

from station_process import Client, start_station

binary, per_route = sys.argv[1], int(sys.argv[2])


with tempfile.TemporaryDirectory() as d:
    proc, info, passwords = start_station(binary, Path(d) / "data")
    try:
        api, c = Client(info["httpPort"], info["apiToken"]), Client(info["httpPort"])  # the API's token; a browser tab's cookies
        for n, card in ((1, "04567DAA5F3580"), (2, "0A0E9B83")):
            api.api("POST", "/api/whitelist", {"id": card})
            api.api("POST", "/api/sim/plug", {"connector": n, "ev": "3p-16a", "batteryCapacityWh": 100000})
            api.api("POST", "/api/sim/rfid", {"uid": card})
        c.request("GET", "/login")
        c.request("POST", "/login", form={"name": "installer", "password": passwords["installer"]})
        c.request("GET", "/account/password")
        c.request("POST", "/account/password", form={"old": passwords["installer"], "new": "installer-bench-1", "repeat": "installer-bench-1"})
        deadline = time.monotonic() + 30
        while True:
            status = api.api("GET", "/api/status")
            if [x["status"] for x in status["connectors"]] == ["Charging", "Charging"]:
                break
            assert time.monotonic() < deadline, "both connectors should charge"
            time.sleep(0.1)
        routes = [
            ("GET /static/app.css (reference)", "GET", "/static/app.css", None, False),
            ("GET /api/status", "GET", "/api/status", None, True),
            ("GET /api/config", "GET", "/api/config", None, True),
            ("GET / (dashboard)", "GET", "/", None, False),
            ("GET /menu/installation", "GET", "/menu/installation", None, False),
            ("GET /menu/load-management", "GET", "/menu/load-management", None, False),
            ("GET /whitelists", "GET", "/whitelists", None, False),
            ("GET /history", "GET", "/history", None, False),
            ("GET /menu/system", "GET", "/menu/system", None, False),
            ("POST /menu/system (save)", "POST", "/menu/system", "form", False),
        ]
        print(f"{per_route} sequential requests per route, keep-alive, both connectors charging (release build):")
        print(f"  {'route':36} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        worst = 0.0
        for i, (name, method, path, form, use_api) in enumerate(routes):
            c.request("GET", "/menu/system")  # a fresh CSRF token for the form
            times = []
            for k in range(per_route):
                fields = {"Timezone": "Europe/Berlin" if k % 2 == 0 else "UTC"} if form else None
                t0 = time.perf_counter()
                code, _ = (api if use_api else c).request(method, path, form=fields)
                times.append((time.perf_counter() - t0) * 1000)
                assert code in (200, 303), f"{name}: HTTP {code}"
            times.sort()
            p50, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
            if i > 0:
                worst = max(worst, p99)
            print(f"  {name:36} {p50:8.2f} {p99:8.2f} {times[-1]:8.2f}")
        print(f"  worst p99 {worst:.2f} ms   goal ≤ 10 ms   {'OK' if worst <= 10 else 'ABOVE GOAL'}")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
