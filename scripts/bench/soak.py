"""Accelerated 24 h soak of a station (scripts/bench-soak.sh, issue 31 item 2).

A simulated two-connector station runs with `--time-scale SCALE` against the Python `ocpp` central system
(ocpp_central_system.py, which counts what it receives). Both connectors cycle sessions for the whole run: plug a
vehicle (profile, battery, state of charge and target drawn at random), hold a card (Authorize and StartTransaction go to
the central system), charge until the vehicle reaches its target or, every third session, stop early with the card,
unplug, rest, repeat. A client polls the status API and a logged-in client the dashboard and the history page. Every
few seconds the script samples PSS, Pss_Anon and RSS from /proc/PID/smaps_rollup and the database (used pages and the
file sizes). After a warm-up of a simulated day plus (the shortest meter sample retention is a day, so the database
only levels off after it) it fits least-squares lines over the window and prints the slopes per simulated hour and per
real minute; it fails if Pss_Anon or the database's used bytes grow by more than their bounds per simulated day.

Usage: soak.py BINARY PYTHON [--time-scale S] [--hours H] [--warm-up-hours H] [--sample-s S]"""
import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from station_process import Client, free_port, read_passwords

# Bounds per simulated day of the window. Pss_Anon: an allocator settles in steps of its arenas and slabs; 1 MiB a day
# is a leak of about 3 kB per session at 300 sessions a day, well below what a real leak per session or per message
# shows in a day at this rate. The database: a day's meter samples are pruned as they age, sessions and events are kept
# (each has its own bound, docs/operator.md "Bounds and retention"); 512 KiB a day is about a session row, its events
# and a few meter values per session.
PSS_ANON_BOUND_MIB_PER_DAY = 1.0
DATABASE_BOUND_KIB_PER_DAY = 512
PROFILES = ("1p-16a", "1p-32a", "2p-16a", "3p-16a", "3p-32a")

p = argparse.ArgumentParser()
p.add_argument("binary")
p.add_argument("python", help="the Python that has the `ocpp` library (the central system runs in it)")
p.add_argument("--time-scale", type=float, default=600, help="simulated seconds per real second (600: a day in 144 s)")
p.add_argument("--hours", type=float, default=24, help="simulated hours measured after the warm-up")
p.add_argument("--warm-up-hours", type=float, default=26, help="simulated hours before the window (≥ the 24 h retention)")
p.add_argument("--sample-s", type=float, default=2, help="real seconds between samples")
p.add_argument("--station-env", action="append", default=[], metavar="NAME=VALUE",
               help="an environment variable for the station process only (e.g. MALLOC_ARENA_MAX=1 for an experiment)")
p.add_argument("--heaptrack", metavar="FILE", help="run the station under heaptrack (Debian package heaptrack), writing FILE; "
               "the station is killed (SIGKILL) at the end so that what heaptrack reports as leaked is what was live then")
args = p.parse_args()
SCALE = args.time_scale
REAL_WARM_UP_S = args.warm_up_hours * 3600 / SCALE
REAL_WINDOW_S = args.hours * 3600 / SCALE


def memory_kib(pid):
    """(PSS, Pss_Anon, RSS) in KiB from /proc/PID/smaps_rollup. Pss_Anon (heap, stacks) does not move when another
    process maps the same file pages, so it is the figure whose slope shows a leak."""
    rollup = {line.split(":")[0]: int(line.split()[1]) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]}
    return rollup["Pss"], rollup["Pss_Anon"], rollup["Rss"]


def database_bytes(data_dir):
    """(used pages × page size, main file + WAL bytes) of the station's database, read through a second connection."""
    path = data_dir / "chargekit.sqlite"
    c = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        pages, free, size = (c.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size"))
    finally:
        c.close()
    wal = Path(f"{path}-wal")
    return (pages - free) * size, path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def slope(points):
    """Least-squares slope of (x, y) points in y per x."""
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def cli(*argv):
    r = subprocess.run([args.binary, *argv, "--data-dir", str(data)], capture_output=True, text=True, timeout=120)
    if r.returncode != 0 and "already" not in r.stderr:
        sys.exit(f"chargekit {' '.join(argv)}: {r.stderr.strip()}")


stop = threading.Event()
errors = []
sessions = [0, 0]  # completed per connector
early_stops = [0]
retries = [0]  # cards held a second time
polls = {"api": 0, "web": 0}
lock = threading.Lock()  # one connector at a time between plug and Charging: a card goes to the connector that waits


def connector_status(api, n):
    return api.api("GET", "/api/status")["connectors"][n - 1]["status"]


def wait(api, n, predicate, timeout_s):
    deadline = time.monotonic() + timeout_s
    while not stop.is_set():
        s = connector_status(api, n)
        if predicate(s):
            return s
        if time.monotonic() > deadline:
            raise RuntimeError(f"connector {n}: still {s} after {timeout_s} s")
        time.sleep(0.2)
    return None


def cycle(n, port, token):
    """Sessions on connector n until the end of the run: every third one stopped early by the card."""
    rng = random.Random(n)
    api = Client(port, token)
    try:
        while not stop.is_set():
            # A card not seen before (7-byte UID), as at a public charger: every session sends Authorize, and the
            # authorization cache fills (its bound of 10,000 entries is far away). The same card stops the session.
            card = f"04{n:02X}{sessions[n - 1]:010X}"
            soc = rng.randint(10, 60)
            target = min(95, soc + rng.randint(10, 40))
            capacity = rng.choice((20_000, 40_000, 60_000, 80_000))
            with lock:
                api.api("POST", "/api/sim/plug", {"connector": n, "ev": rng.choice(PROFILES), "batteryCapacityWh": capacity,
                                                  "stateOfChargePercent": soc, "targetStateOfChargePercent": target})
                wait(api, n, lambda s: s != "Available", 60)
                api.api("POST", "/api/sim/rfid", {"uid": card})
                try:
                    if wait(api, n, lambda s: s == "Charging", 30) is None:
                        return
                except RuntimeError:  # a driver whose card was not read holds it again (seen under heaptrack's slowness)
                    retries[0] += 1
                    api.api("POST", "/api/sim/rfid", {"uid": card})
                    if wait(api, n, lambda s: s == "Charging", 60) is None:
                        return
            early = (sessions[n - 1] + 1) % 3 == 0
            if early:  # a fraction of the way to the target, then the card again
                time.sleep(rng.uniform(1, 5))
                early_stops[0] += 1
            else:  # the vehicle stops at its target (SuspendedEV); a charge of hours takes some real seconds
                if wait(api, n, lambda s: s != "Charging", 24 * 3600 / SCALE + 60) is None:
                    return
            api.api("POST", "/api/sim/rfid", {"uid": card})
            if wait(api, n, lambda s: s not in ("Charging", "SuspendedEV", "SuspendedEVSE"), 60) is None:
                return
            api.api("POST", "/api/sim/unplug", {"connector": n})
            if wait(api, n, lambda s: s == "Available", 60) is None:
                return
            sessions[n - 1] += 1
            stop.wait(rng.uniform(0.5, 3))  # the car park is empty for a while
    except Exception as e:  # noqa: BLE001 — reported and failing the run
        errors.append(f"connector {n}: {e!r}")
        stop.set()


def poll(port, token, passwords):
    """The status API twice a second; the dashboard and the history page as a logged-in installer every 2 s."""
    api = Client(port, token)
    web = Client(port)
    try:
        web.request("GET", "/login")
        web.request("POST", "/login", form={"name": "installer", "password": passwords["installer"]})
        web.request("GET", "/account/password")
        web.request("POST", "/account/password", form={"old": passwords["installer"], "new": "installer-soak-1", "repeat": "installer-soak-1"})
        k = 0
        while not stop.wait(0.5):
            api.api("GET", "/api/status")
            polls["api"] += 1
            if k % 4 == 0:
                for path in ("/", "/history"):
                    code, body = web.request("GET", path)
                    if code != 200:
                        raise RuntimeError(f"GET {path}: HTTP {code}")
                    polls["web"] += 1
            k += 1
    except Exception as e:  # noqa: BLE001
        errors.append(f"poller: {e!r}")
        stop.set()


tmp = tempfile.TemporaryDirectory(prefix="chargekit-soak-")
data = Path(tmp.name) / "data"
cs_port = free_port()
counts_path = Path(tmp.name) / "counts.json"
heartbeat_s = 300  # simulated: at scale 600 one every 0.5 s real
cs = subprocess.Popen([args.python, str(Path(__file__).with_name("ocpp_central_system.py")), str(cs_port), str(counts_path), str(heartbeat_s)])
station = pid = None
try:
    for key, value in (("BackendURL", f"ws://127.0.0.1:{cs_port}/ocpp"), ("ChargeBoxIdentity", "CK-SOAK-01"),
                       ("EnableLocalWhitelist", "Off"), ("MeterValueSampleInterval", "300"), ("MeterSampleRetentionDays", "1")):
        cli("config", "set", key, value, "--role", "manufacturer")
    wrapper = ["heaptrack", "-o", args.heaptrack] if args.heaptrack else []
    station = subprocess.Popen([*wrapper, args.binary, "station", "--simulate", "--connectors", "2", "--data-dir", str(data), "--http-port", "0",
                                "--https-port", "0", "--time-scale", str(SCALE), "--log-level", "error"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "CHARGEKIT_NETWORK_SERVICE": "none",
                                                                                  **dict(e.split("=", 1) for e in args.station_env)})
    try:
        passwords = read_passwords(station)
    except RuntimeError as e:
        sys.exit(f"soak: {e}")
    threading.Thread(target=lambda: [None for _ in station.stdout], daemon=True).start()  # keep the pipe drained
    deadline = time.monotonic() + 60
    while True:
        try:
            info = json.loads((data / "station.json").read_text())
            break
        except (OSError, ValueError):
            if time.monotonic() > deadline:
                sys.exit("the station did not publish station.json within 60 s")
            time.sleep(0.05)
    port, token, pid = info["httpPort"], info["apiToken"], info["pid"]  # pid: the station's, also under heaptrack
    deadline = time.monotonic() + 60
    status_client = Client(port, token)
    # Cards are only authorized once the central system accepted the BootNotification (OCPP 1.6 §4.2: before that the
    # station sends nothing else), so the sessions start then.
    while ((status_client.api("GET", "/api/status").get("backend") or {}).get("registration") != "accepted"
           or not (status_client.api("GET", "/api/status").get("backend") or {}).get("connected")):
        if time.monotonic() > deadline:
            sys.exit("the station was not accepted by the central system within 60 s")
        time.sleep(0.1)
    print(f"soak: station {args.binary}, time scale {SCALE:g} (a simulated day in {86400 / SCALE:.0f} s), warm-up "
          f"{args.warm_up_hours:g} h ({REAL_WARM_UP_S:.0f} s), window {args.hours:g} h ({REAL_WINDOW_S:.0f} s), "
          f"central system: Python ocpp, heartbeat {heartbeat_s} s simulated", flush=True)
    threads = [threading.Thread(target=cycle, args=(n, port, token)) for n in (1, 2)] + [threading.Thread(target=poll, args=(port, token, passwords))]
    for t in threads:
        t.start()
    start = time.monotonic()
    series = []  # (real s, PSS, Pss_Anon, RSS KiB, used bytes, file bytes)
    mark = None  # (sessions, messages) at the start of the window
    while (t := time.monotonic() - start) < REAL_WARM_UP_S + REAL_WINDOW_S and not stop.is_set():
        if station.poll() is not None:
            errors.append(f"the station exited with {station.returncode}")
            break
        series.append((t, *memory_kib(pid), *database_bytes(data)))
        if mark is None and t >= REAL_WARM_UP_S:
            mark = (sum(sessions), sum(json.loads(counts_path.read_text())["received"].values()))
        if len(series) % 15 == 1:
            print(f"  {t:5.0f} s ({t * SCALE / 3600:5.1f} h): PSS {series[-1][1] / 1024:5.1f} MiB, Pss_Anon {series[-1][2] / 1024:5.2f} MiB, "
                  f"RSS {series[-1][3] / 1024:5.1f} MiB, database {series[-1][4] / 1024:6.0f} KiB used, sessions {sessions}", flush=True)
        time.sleep(args.sample_s)
    stop.set()
    for t in threads:
        t.join(timeout=120)
finally:
    stop.set()
    exit_status = None
    if station is not None and station.poll() is None:
        if args.heaptrack and pid:
            os.kill(pid, signal.SIGKILL)  # heaptrack then writes out what was allocated and not freed: the live heap
            station.wait(timeout=300)
        else:
            station.send_signal(signal.SIGTERM)
            exit_status = station.wait(timeout=30)
    cs.terminate()
    cs.wait(timeout=10)

counts = json.loads(counts_path.read_text())
received, sent = counts["received"], counts["sent"]
tmp.cleanup()
if errors:
    sys.exit("soak failed: " + "; ".join(errors))
if exit_status not in (0, None):
    sys.exit(f"the station ended with exit status {exit_status}")
window = [s for s in series if s[0] >= REAL_WARM_UP_S]
if len(window) < 10 or mark is None:
    sys.exit(f"too few samples in the window ({len(window)})")

per_sim_h = 3600 / SCALE  # real seconds per simulated hour
first, warm, last = series[0], window[0], window[-1]
sim_h = (last[0] - first[0]) * SCALE / 3600
print(f"\n{sim_h:.1f} simulated hours in {last[0] - first[0]:.0f} s; sessions completed {sum(sessions)} "
      f"(connector 1: {sessions[0]}, 2: {sessions[1]}; {early_stops[0]} stopped early by the card), "
      f"{sum(sessions) - mark[0]} in the window; cards held twice: {retries[0]}")
calls = sum(received.values())
print(f"OCPP: {calls} CALLs from the station, {sent.get('CALLRESULT', 0)} CALLRESULTs and {sent.get('CALLERROR', 0)} CALLERRORs "
      f"from the central system ({calls + sum(sent.values())} messages; {calls - mark[1]} CALLs in the window): "
      + ", ".join(f"{k} {v}" for k, v in sorted(received.items(), key=lambda kv: -kv[1])))
print(f"polled: status API {polls['api']}×, web pages {polls['web']}×")
print(f"{'':10} {'start':>9} {'warm':>9} {'end':>9}   {'slope/sim h':>12} {'slope/real min':>14} {'per sim day':>12}")
failed = []
for i, name, unit, div in ((1, "PSS", "MiB", 1024), (2, "Pss_Anon", "MiB", 1024), (3, "RSS", "MiB", 1024),
                           (4, "DB used", "KiB", 1024), (5, "DB files", "KiB", 1024)):
    per_real_s = slope([(s[0], s[i] / div) for s in window])
    per_day = per_real_s * 86400 / SCALE
    print(f"  {name:8} {first[i] / div:9.2f} {warm[i] / div:9.2f} {last[i] / div:9.2f}   {per_real_s * per_sim_h:+12.4f} "
          f"{per_real_s * 60:+14.4f} {per_day:+12.3f} {unit}")
    if name == "Pss_Anon" and per_day > PSS_ANON_BOUND_MIB_PER_DAY:
        failed.append(f"Pss_Anon grows {per_day:+.2f} MiB per simulated day (bound {PSS_ANON_BOUND_MIB_PER_DAY} MiB)")
    if name == "DB used" and per_day > DATABASE_BOUND_KIB_PER_DAY:
        failed.append(f"the database grows {per_day:+.0f} KiB per simulated day (bound {DATABASE_BOUND_KIB_PER_DAY} KiB)")
print(f"bounds per simulated day: Pss_Anon ≤ {PSS_ANON_BOUND_MIB_PER_DAY} MiB, database ≤ {DATABASE_BOUND_KIB_PER_DAY} KiB")
if failed:
    sys.exit("NOT FLAT: " + "; ".join(failed))
print("flat: OK")
