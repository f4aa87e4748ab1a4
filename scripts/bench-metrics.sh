#!/usr/bin/env bash
# The cost of Prometheus metrics and MQTT (issue 30): station CPU and PSS with both connectors charging — both off,
# metrics on and scraped every 5 s, and metrics plus the MQTT client publishing to a local mosquitto (Debian package)
# (and mosquitto-clients, to count what it publishes) with the meters every 5 s and Home Assistant discovery (goal: < 1 % CPU and < 2 MB PSS more with both on than off).
# Figures are printed, not asserted.
# Usage: scripts/bench-metrics.sh [--seconds N] [--bin PATH]
# Without --bin it measures the appliance build of scripts/bench.sh (release, -Osize, static Swift runtime).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/appliance-binary.sh
exec python3 - "$BIN" "${ARGS[@]}" <<'PY'
import json, os, shutil, signal, subprocess, sys, tempfile, time, urllib.error, urllib.request

binary = sys.argv[1]
seconds = 120
if "--seconds" in sys.argv:
    seconds = int(sys.argv[sys.argv.index("--seconds") + 1])
TOKEN = "bench-metrics-token-0123456789"
TICKS = os.sysconf("SC_CLK_TCK")

sys.path.insert(0, "scripts/bench")
from station_process import free_port  # noqa: E402

def call(data, port, path, body=None, method=None, token=None):
    if token is None:
        token = json.loads(open(os.path.join(data, "station.json")).read())["apiToken"]
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=None if body is None else json.dumps(body).encode(),
                                 method=method or ("GET" if body is None else "POST"),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status, r.read()

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime

def pss_mb(pid):
    """PSS and Pss_Anon in MB. PSS shares the binary's and libraries' pages with every process mapping them, so it
    moves with what else runs; Pss_Anon (the process' own heap and stacks) is the figure that compares."""
    rollup = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        parts = line.split()
        if len(parts) >= 3 and parts[-1] == "kB":
            rollup[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return rollup["Pss"], rollup.get("Pss_Anon", 0)

class Broker:
    """mosquitto on a free loopback port, and a subscriber counting what the station publishes."""
    def __init__(self, directory):
        self.port = free_port()
        conf = os.path.join(directory, "mosquitto.conf")
        open(conf, "w").write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\n")
        self.proc = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.out = open(os.path.join(directory, "messages"), "w+")
        time.sleep(0.5)
        self.sub = subprocess.Popen(["mosquitto_sub", "-p", str(self.port), "-h", "127.0.0.1", "-t", "chargekit/#", "-v"],
                                    stdout=self.out, stderr=subprocess.DEVNULL)

    def messages(self):
        self.out.flush()
        return sum(1 for _ in open(self.out.name))

    def stop(self):
        for proc in (self.sub, self.proc):
            proc.terminate(); proc.wait(timeout=10)

def run(metrics, mqtt=False):
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        broker = Broker(d) if mqtt else None
        if broker:
            for key, value in (("MQTTEnabled", "On"), ("MQTTBrokerHost", "127.0.0.1"), ("MQTTBrokerPort", str(broker.port)),
                               ("MQTTMeterInterval", "5")):
                subprocess.run([binary, "config", "set", key, value, "--role", "operator", "--data-dir", d], check=True,
                               stdout=subprocess.DEVNULL)
        p = subprocess.Popen([binary, "station", "--simulate", "--connectors", "2", "--data-dir", d, "--http-port", str(port), "--https-port", "0",
                              "--log-level", "error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(d, port, "/api/status")[0] == 200:
                    break
            except Exception:
                if time.monotonic() > deadline or p.poll() is not None:
                    sys.exit("station did not start")
                time.sleep(0.05)
        for n, card in ((1, "04567DAA5F3580"), (2, "0A0E9B83")):
            call(d, port, "/api/whitelist", {"id": card})
            call(d, port, "/api/sim/plug", {"connector": n, "ev": "3p-16a", "batteryCapacityWh": 100000})
            call(d, port, "/api/sim/rfid", {"uid": card})
        if metrics:
            call(d, port, "/api/config/MetricsToken", {"value": TOKEN}, method="PUT")
            call(d, port, "/api/config/MetricsEnabled", {"value": True}, method="PUT")
        time.sleep(10)  # settle: sessions running, first allocations done
        scrapes, size = 0, 0
        m0 = broker.messages() if broker else 0
        c0, t0 = cpu_seconds(p.pid), time.monotonic()
        next_scrape = t0
        while time.monotonic() - t0 < seconds:
            if metrics and time.monotonic() >= next_scrape:
                size = len(call(d, port, "/metrics", token=TOKEN)[1]); scrapes += 1
                next_scrape += 5
            time.sleep(0.05)
        cpu = (cpu_seconds(p.pid) - c0) / (time.monotonic() - t0) * 100
        pss, anon = pss_mb(p.pid)
        published = broker.messages() - m0 if broker else 0
        states = [c["status"] for c in json.loads(call(d, port, "/api/status")[1])["connectors"]]
        p.send_signal(signal.SIGTERM); p.wait(timeout=20)
        if broker: broker.stop()
        if states != ["Charging", "Charging"]:
            sys.exit(f"both connectors should be charging, found {states}")
        if mqtt and published == 0:
            sys.exit("the MQTT client published nothing")
        return cpu, pss, scrapes, size, anon, published

off = run(False)
on = run(True)
both = run(True, mqtt=True) if shutil.which("mosquitto") and shutil.which("mosquitto_sub") else None
print(f"station with both connectors charging, {seconds} s each ({binary}):")
print(f"  metrics and MQTT off:             CPU {off[0]:5.2f} %   PSS {off[1]:6.1f} MB   Pss_Anon {off[4]:5.1f} MB")
print(f"  metrics on, scraped every 5 s:    CPU {on[0]:5.2f} %   PSS {on[1]:6.1f} MB   Pss_Anon {on[4]:5.1f} MB   ({on[2]} scrapes of {on[3]} bytes)")
if both:
    print(f"  metrics and MQTT on:              CPU {both[0]:5.2f} %   PSS {both[1]:6.1f} MB   Pss_Anon {both[4]:5.1f} MB   ({both[5]} MQTT messages)")
else:
    print("  metrics and MQTT on:              skipped (needs the Debian packages mosquitto and mosquitto-clients)")
last = both or on
print(f"  difference, all on versus off:    CPU {last[0]-off[0]:+5.2f} %   PSS {last[1]-off[1]:+6.1f} MB   Pss_Anon {last[4]-off[4]:+5.1f} MB"
      "   goal < 1 % CPU and < 2 MB")
PY
