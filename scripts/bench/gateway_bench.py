"""Gateway benchmark orchestration (scripts/bench-gateway.sh): for each charger count, the same load (ocpp_load.py)
against `chargekit gateway` (release, --accept-unconfigured on) and against a minimal central system on the Python
`ocpp` library, one server at a time on this machine. Per run: connect time for all, CALL→CALLRESULT p50/p99, msg/s,
the server's own answer time on the wire (wire_latency.py: from the CALL's packet to the answer's, with tcpdump when it is
installed), the server's CPU seconds and PSS over the steady phase, msg/s per CPU-second (per core), the load generator's own CPU
seconds (it shares the cores, and its latencies include its own waiting), and the memory one connected
charger costs: the growth of the server's PSS from before the first connection to the end of the steady phase, divided
by the chargers (at the charger profile a charger is idle between its messages, one every ~9 s).

The Python central system runs only up to --reference-max chargers (where it still keeps up at all), the gateway at
every size; a size the process's descriptor hard limit cannot hold is lowered to what it can, and the table says so.
Such a lowered size runs a second time at the message rate of the size asked for (MeterValues and Heartbeat intervals
shortened by fitting / asked): the latency at 50,000 chargers' traffic, on the connections the machine allows.
With a second gateway binary (--before-bin, e.g. an earlier commit's) each size runs it too, right before the first
one, so that a change is compared with the code before it on the same machine in the same minutes."""
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import wire_latency

HZ = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ  # utime + stime


def memory_mb(pid, field="Pss"):
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pss_mb(pid):
    return memory_mb(pid, "Pss")


# What the gateway keeps for itself under its descriptor limit: DescriptorBudget.reserve (128), the web interface's
# 256 and Modbus TCP's 32 connections, the descriptors open at its start; and the load generator's own handful.
DESCRIPTOR_MARGIN = 600


def fitting(count):
    """The largest charger count this process's descriptor hard limit lets the server hold (the load generator's
    workers each stay far below it)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return count if hard == resource.RLIM_INFINITY else min(count, hard - DESCRIPTOR_MARGIN)


def wait_port(port, timeout=30):
    import socket
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


RUNS = [0]

# The load generator runs at a lower scheduling priority than the server (nice 10): the chargers it plays would be on
# their own hardware, and on this machine's two cores its Python workers need more CPU than the server (at 5,800 msg/s
# about one core against a third), so at equal priority the server's threads wait for a core behind them and the
# server's answer time measures the scheduler. The load generator's figures still include its own waiting; the wire
# figures are the server's. The saturation runs (back to back) keep equal priority: there the load generator must keep
# the server busy, and what is measured is the server's messages per CPU-second.
LOAD_NICE = int(os.environ.get("GATEWAY_BENCH_LOAD_NICE", "10"))

# An answer slower than this counts towards a stall (wire_latency.stalls): half the 10 ms goal.
STALL_MS = 5


def run(server_argv, port, chargers, seconds, python, work, meter=10, heartbeat=60):
    # Each run's load generator binds to source addresses of its own (127.0.<run>.10, …): the previous run's
    # connections linger in TIME_WAIT for 60 s, and on the same addresses they slowed the next run's connects (at 19,400
    # chargers the second run of a pair booted 2–4× slower, whichever binary it was).
    RUNS[0] += 1
    server = subprocess.Popen(server_argv, stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "ab"))
    try:
        wait_port(port)
        time.sleep(1)  # the start's own allocations settle (database, event loops, web interface)
        pss0, rss0 = pss_mb(server.pid), memory_mb(server.pid, "Rss")
        ready, done = work / "ready", work / "done"
        for f in (ready, done):
            f.unlink(missing_ok=True)
        load = subprocess.Popen([python, str(Path(__file__).parent / "ocpp_load.py"), "--url", f"ws://127.0.0.1:{port}/ocpp",
                                 "--chargers", str(chargers), "--seconds", str(seconds), "--meter", str(meter), "--heartbeat", str(heartbeat), "--source-addresses", "--source-base", str(256 * RUNS[0] + 10),
                                 "--ready-file", str(ready), "--done-file", str(done)],
                                stdout=subprocess.PIPE, text=True, preexec_fn=lambda: os.nice(LOAD_NICE if meter > 0 else 0))
        while not ready.exists():
            if load.poll() is not None:
                raise SystemExit(f"load generator failed: {load.stdout.read()}")
            time.sleep(0.05)
        cpu0 = cpu_seconds(server.pid)
        capture = wire_latency.Capture(port, work / "steady.pcap") if wire_latency.Capture.available() else None
        with capture or contextlib.nullcontext():
            while not done.exists():
                if load.poll() is not None:  # a load generator that died in the steady phase writes no done file
                    raise SystemExit(f"load generator failed: {load.stdout.read()}")
                time.sleep(0.05)
        cpu1, pss, rss = cpu_seconds(server.pid), pss_mb(server.pid), memory_mb(server.pid, "Rss")
        out, _ = load.communicate(timeout=120)
        result = json.loads(out.strip().splitlines()[-1])
        result["cpuSeconds"] = round(cpu1 - cpu0, 2)
        result["pssMB"] = round(pss, 1)
        result["kBPerCharger"] = round((pss - pss0) * 1024 / chargers, 1)
        result["rssKBPerCharger"] = round((rss - rss0) * 1024 / chargers, 1)
        result["perCPUSecond"] = round(result["messages"] / max(0.01, cpu1 - cpu0), 0)
        result["wireP50ms"] = result["wireP99ms"] = float("nan")
        if capture:
            answered, _ = wire_latency.answers(capture.path, port)
            capture.path.unlink()
            answers = sorted(latency for _, latency in answered)
            result["wireP50ms"] = wire_latency.percentile(answers, 0.50) * 1000
            result["wireP99ms"] = wire_latency.percentile(answers, 0.99) * 1000
            # When the slow answers happen: a stall at a steady period is the server's own (session 27 found the
            # 250 ms tick sweeping every charger this way), slow answers spread over the run are load.
            result["wireStalls"] = wire_latency.stall_report(answered, STALL_MS / 1000)[:2]
        return result
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()


def main():
    chargekit, python, asked, seconds = sys.argv[1], sys.argv[2], [int(c) for c in sys.argv[3].split(",")], float(sys.argv[4])
    reference_max = int(sys.argv[5]) if len(sys.argv) > 5 else 10000
    before = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] else None
    counts = [fitting(c) for c in asked]
    notes = [f"{a} chargers do not fit this machine's descriptor hard limit {resource.getrlimit(resource.RLIMIT_NOFILE)[1]} "
             f"(raising it needs CAP_SYS_RESOURCE): ran {c}" for a, c in zip(asked, counts) if a != c]
    rows, saturation = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)

        def gateway(name, binary=chargekit):
            return [binary, "gateway", "--data-dir", str(work / name), "--host", "127.0.0.1", "--ocpp-port", "19000", "--modbus-tcp", "off",
                    "--accept-unconfigured", "on", "--heartbeat-interval", "60", "--log-level", "error"]
        py = [python, str(Path(__file__).parent / "ocpp_central_system.py"), "19001"]
        for n in counts:
            if before:
                rows.append(("gateway before", n, run(gateway(f"before-{n}", before), 19000, n, seconds, python, work)))
            rows.append(("ChargeKit gateway", n, run(gateway(f"gateway-{n}"), 19000, n, seconds, python, work)))
            if n <= reference_max:
                rows.append(("Python ocpp CS", n, run(py, 19001, n, seconds, python, work)))
        # A size lowered to fit the descriptor limit: once more at the asked size's message rate.
        for a, n in zip(asked, counts):
            if a != n:
                scale = n / a
                rows.append((f"gateway, {a}'s rate", n, run(gateway(f"gateway-rate-{n}"), 19000, n, seconds, python, work,
                                                               meter=10 * scale, heartbeat=60 * scale)))
        # Throughput per core: 200 charge points sending MeterValues back to back.
        if before:
            saturation["gateway before"] = run(gateway("before-saturation", before), 19000, 200, 10, python, work, meter=0)
        saturation["ChargeKit gateway"] = run(gateway("gateway-saturation"), 19000, 200, 10, python, work, meter=0)
        saturation["Python ocpp CS"] = run(py, 19001, 200, 10, python, work, meter=0)
    print(f"OCPP central system at scale: boot + 2 StatusNotification, then MeterValues every 10 s and Heartbeat every 60 s "
          f"per charger; {seconds:.0f} s steady phase; {os.cpu_count()} cores, load generator on the same machine "
          f"({rows[0][2]['loadEventLoop'] if rows else 'asyncio'})")
    for note in notes:
        print(note)
    print(f"{'server':<20}{'chargers':>9}{'connect s':>11}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU s':>8}{'msg/CPU-s':>11}{'PSS MB':>9}"
          f"{'kB/charger':>12}{'errors':>8}{'load CPU s':>12}{'wire p50':>10}{'wire p99':>10}")
    for name, n, r in rows:
        print(f"{name:<20}{n:>9}{r['connectSeconds']:>11.2f}{r['perSecond']:>9.0f}{r['p50ms']:>9.2f}{r['p99ms']:>9.2f}"
              f"{r['cpuSeconds']:>8.2f}{r['perCPUSecond']:>11.0f}{r['pssMB']:>9.0f}{r['kBPerCharger']:>12.1f}{r['errors'] + r['connectFailures']:>8}"
              f"{r['loadCPUSeconds']:>12.2f}{r['wireP50ms']:>10.2f}{r['wireP99ms']:>10.2f}")
    for name, n, r in rows:
        if r.get("wireStalls"):
            print(f"{name}, {n}: " + "; ".join(r["wireStalls"]))
    print()
    print("Saturation: 200 charge points sending MeterValues back to back for 10 s (the load generator shares the cores)")
    print(f"{'server':<20}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU s':>8}{'msg/CPU-s':>11}")
    for name, r in saturation.items():
        print(f"{name:<20}{r['perSecond']:>9.0f}{r['p50ms']:>9.2f}{r['p99ms']:>9.2f}{r['cpuSeconds']:>8.2f}{r['perCPUSecond']:>11.0f}")
    ratio = saturation["ChargeKit gateway"]["perCPUSecond"] / max(1, saturation["Python ocpp CS"]["perCPUSecond"])
    print(f"msg/s per core {ratio:.1f}× the Python central system (goal ≥ 10×): {'OK' if ratio >= 10 else 'BELOW GOAL'}")
    print()
    for n in counts:
        ck = next(r for name, m, r in rows if m == n and name.startswith("ChargeKit"))
        if before:
            b = next(r for name, m, r in rows if m == n and name == "gateway before")
            print(f"{n} chargers, against the binary before: {b['kBPerCharger']:.1f} → {ck['kBPerCharger']:.1f} kB per charger, "
                  f"p99 {b['p99ms']:.2f} → {ck['p99ms']:.2f} ms, {b['cpuSeconds']:.2f} → {ck['cpuSeconds']:.2f} CPU s")
        py = next((r for name, m, r in rows if m == n and name.startswith("Python")), None)
        if py:
            ratio = ck["perCPUSecond"] / max(1, py["perCPUSecond"])
            print(f"{n} chargers: msg per CPU-second at the charger profile {ratio:.1f}× the Python central system")
        else:
            print(f"{n} chargers: the gateway alone (the Python central system runs up to {reference_max})")
        print(f"  memory per connected charger {ck['kBPerCharger']:.1f} kB PSS ({ck['rssKBPerCharger']:.1f} kB RSS; goal ≤ 15 kB): "
              f"{'OK' if ck['kBPerCharger'] <= 15 else 'ABOVE GOAL'}")
        if n > 10000:
            print(f"  connected and booted in {ck['connectSeconds']:.1f} s (goal ≤ 60 s): {'OK' if ck['connectSeconds'] <= 60 else 'ABOVE GOAL'}")
            print(f"  p99 at the load generator {ck['p99ms']:.2f} ms, the gateway's answer on the wire {ck['wireP99ms']:.2f} ms at "
                  f"{ck['perSecond']:.0f} msg/s (goal ≤ 10 ms): {'OK' if ck['wireP99ms'] <= 10 else 'ABOVE GOAL'}")
            print(f"  PSS {ck['pssMB']:.0f} MB (goal ≤ 1 GB at 50,000): {'OK' if ck['pssMB'] <= 1024 else 'ABOVE GOAL'}")
        elif n >= 10000:
            print(f"  connected and booted in {ck['connectSeconds']:.1f} s (goal ≤ 60 s): {'OK' if ck['connectSeconds'] <= 60 else 'ABOVE GOAL'}")
            print(f"  p99 at the load generator {ck['p99ms']:.2f} ms, the gateway's answer on the wire {ck['wireP99ms']:.2f} ms at "
                  f"{ck['perSecond']:.0f} msg/s (goal ≤ 10 ms at ~0.12 msg/s per charger): {'OK' if ck['wireP99ms'] <= 10 else 'ABOVE GOAL'}")
            print(f"  PSS {ck['pssMB']:.0f} MB (goal ≤ 600 MB): {'OK' if ck['pssMB'] <= 600 else 'ABOVE GOAL'}")
        for a, m in zip(asked, counts):
            rate = next((r for name, k, r in rows if k == n and m == n and name.startswith("gateway, ")), None)
            if rate:
                print(f"  at the message rate of {a} chargers ({rate['perSecond']:.0f} msg/s on {n} connections, intervals × {n / a:.3f}): "
                      f"at the load generator p50 {rate['p50ms']:.2f}, p99 {rate['p99ms']:.2f} ms; the gateway's answer on the wire "
                      f"p50 {rate['wireP50ms']:.2f}, p99 {rate['wireP99ms']:.2f} ms (goal ≤ 10 ms): "
                      f"{'OK' if rate['wireP99ms'] <= 10 else 'ABOVE GOAL'}; {rate['cpuSeconds']:.1f} CPU s in {seconds:.0f} s "
                      f"(load generator {rate['loadCPUSeconds']:.1f})")
                print(f"  {a} chargers extrapolated from {n}: booted in ≈ {ck['connectSeconds'] * a / n:.0f} s, "
                      f"PSS ≈ {ck['pssMB'] + (a - n) * ck['kBPerCharger'] / 1024:.0f} MB (not measured: the descriptor limit)")
        failures = ck["errors"] + ck["connectFailures"]
        if failures:
            print(f"  ChargeKit: {failures} failures ({ck['lastError']})")


if __name__ == "__main__":
    main()
