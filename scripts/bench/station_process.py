"""Starts a simulated `chargekit station` for the web benchmarks and reads what it prints and publishes."""
import json
import random
import re
import socket
import subprocess
import time


def free_port():
    """A free TCP port below the kernel's ephemeral range (32768–60999): a port the kernel just handed out for bind(0)
    and that was closed again is the one it hands to the station's own `--https-port 0` next, whose start then fails
    ("Address already in use"; seen in session 24 on every start for minutes)."""
    while True:
        p = random.randint(20000, 30000)
        s = socket.socket()
        try:
            s.bind(("0.0.0.0", p))
            return p
        except OSError:
            pass
        finally:
            s.close()


def start_station(binary, data):
    """Starts the station on data directory `data` and any free HTTP port. Returns (process, station.json as a dict,
    the initial passwords by role)."""
    proc = subprocess.Popen([binary, "station", "--simulate", "--connectors", "2", "--data-dir", str(data), "--http-port", "0", "--https-port", "0",
                             "--log-level", "error"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    passwords = {}
    while len(passwords) < 3:
        line = proc.stdout.readline()
        if not line:  # the station exited before printing its passwords
            raise RuntimeError(f"the station stopped at start (exit {proc.wait()}); run it by hand to see why")
        m = re.match(r"^  (operator|installer|manufacturer)\s+(\S+)$", line)
        if m:
            passwords[m.group(1)] = m.group(2)
    deadline = time.monotonic() + 60
    while True:  # station.json is replaced atomically once the server listens
        try:
            return proc, json.loads((data / "station.json").read_text()), passwords
        except (OSError, ValueError):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the station did not publish station.json within 60 s")
            time.sleep(0.01)
