"""A logged-in user's page time while the login form is flooded (issue 20 item 5; see scripts/bench-login.sh).

Three phases against one `chargekit station --simulate`: no flood (the reference), 50 wrong logins a second from one
address, and 50 a second spread over 50 loopback addresses (127.0.0.10…59, one attempt each a second, within every
per-address limit). Prints the dashboard's p50/p99 per phase and how the flood's attempts were answered."""
import http.client
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

from station_process import start_station

binary, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 10.0


def request(conn, method, path, cookies, form=None):
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    for value in r.headers.get_all("Set-Cookie") or []:
        name, _, rest = value.partition("=")
        cookies[name] = rest.split(";")[0]
    m = re.search(rb'name="csrf" value="([0-9a-f]+)"', data)
    return r.status, (m.group(1).decode() if m else None)


def flood(port, sources, rate, stop, answers, name="nobody"):
    """`rate` login attempts a second for an unknown name (never locked by a per-account lockout), round-robin over
    `sources`."""
    interval, n = 1.0 / rate, 0
    next_at = time.monotonic()
    while not stop.is_set():
        source = sources[n % len(sources)]
        n += 1
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
            cookies = {}
            _, csrf = request(conn, "GET", "/login", cookies)
            status, _ = request(conn, "POST", "/login", cookies, {"name": name, "password": "wrong", "csrf": csrf})
            answers[status] += 1
            conn.close()
        except OSError as e:
            answers[type(e).__name__] += 1
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))


with tempfile.TemporaryDirectory() as d:
    proc, info, passwords = start_station(binary, Path(d) / "data")
    try:
        port = info["httpPort"]
        user, cookies = http.client.HTTPConnection("127.0.0.1", port, timeout=30), {}
        _, csrf = request(user, "GET", "/login", cookies)
        request(user, "POST", "/login", cookies, {"name": "installer", "password": passwords["installer"], "csrf": csrf})
        _, csrf = request(user, "GET", "/account/password", cookies)
        request(user, "POST", "/account/password", cookies,
                {"old": passwords["installer"], "new": "installer-bench-1", "repeat": "installer-bench-1", "csrf": csrf})
        assert request(user, "GET", "/", cookies)[0] == 200, "logged in"
        print(f"dashboard of a logged-in user, {seconds:.0f} s per phase:")
        print(f"  {'phase':44} {'p50 ms':>8} {'p99 ms':>8}  flood answers")
        for name, sources in (("no flood (reference)", None), ("50 logins/s from one address", ["127.0.0.2"]),
                              ("50 logins/s from 50 addresses", [f"127.0.0.{n}" for n in range(10, 60)])):
            stop, answers = threading.Event(), Counter()
            # 10 clients of 5 attempts a second each: the attempts do not wait for each other's answers.
            workers = [threading.Thread(target=flood, args=(port, sources[k::10] or sources, 5, stop, answers))
                       for k in range(10)] if sources else []
            for w in workers:
                w.start()
            if workers:
                time.sleep(1)
            times, end = [], time.monotonic() + seconds
            while time.monotonic() < end:
                t0 = time.perf_counter()
                assert request(user, "GET", "/", cookies)[0] == 200
                times.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.05)
            stop.set()
            for w in workers:
                w.join()
            times.sort()
            print(f"  {name:44} {statistics.median(times):8.1f} {times[int(len(times) * 0.99) - 1]:8.1f}  "
                  + (", ".join(f"{k}: {v}" for k, v in sorted(answers.items(), key=str)) or "-"))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
