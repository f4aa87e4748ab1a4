"""OCPP 1.6J load generator for central systems (the gateway benchmark): N charge points, each connecting to
<url>/<ChargerID> with subprotocol ocpp1.6, sending BootNotification and StatusNotification for connectors 0 and 1,
then Heartbeat every 60 s and MeterValues (7 sampled values) every 10 s, each phase spread at random over the interval.
Every charge point keeps one CALL outstanding at a time (OCPP-J §4.1.1).

It reports, as one JSON line: the time until every charge point was connected and booted, CALL→CALLRESULT latency
p50/p99 (ms) over the steady phase, messages per second, and failures. The work is spread over worker processes so
that the generator is not the bottleneck.

Above a few ten thousand chargers one source address runs out of ephemeral ports (28,232 by default,
net.ipv4.ip_local_port_range) towards the one listening port, and one process out of descriptors: with
--source-addresses each worker binds its connections to its own loopback address (127.0.0.0/8 is all loopback on
Linux), and the workers are sized so that none holds more than --per-worker connections."""
import argparse
import asyncio
import json
import multiprocessing as mp
import math
import random
import resource
import sys
import time
from datetime import datetime, timezone

import websockets

# The same percentile as the wire figures of the gateway benchmark, so that the two columns compare.
from wire_latency import percentile

# uvloop (libuv under asyncio) when installed: the workers then spend about a quarter less CPU per message (200 chargers
# back to back: 31,000–32,000 against 24,000 messages per CPU-second), which on a shared machine is time the server
# under test gets. `scripts/bench-gateway.sh` installs it.
try:
    import uvloop
except ImportError:
    uvloop = None


def iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def meter_values(n):
    sampled = [{"value": f"{230 + i * 0.1:.1f}", "measurand": "Voltage", "phase": p, "unit": "V"} for i, p in enumerate(["L1-N", "L2-N", "L3-N"])]
    sampled += [{"value": "16.0", "measurand": "Current.Import", "phase": p, "unit": "A"} for p in ["L1", "L2", "L3"]]
    sampled.append({"value": str(1000 + n), "measurand": "Energy.Active.Import.Register", "unit": "Wh"})
    return {"connectorId": 1, "meterValue": [{"timestamp": iso(), "sampledValue": sampled}]}


class ChargePoint:
    def __init__(self, name, url, stats, source=None):
        self.name, self.url, self.stats, self.source = name, url, stats, source
        self.counter = 0
        self.ws = None

    async def call(self, action, payload, measure):
        self.counter += 1
        mid = f"{self.counter}"
        text = json.dumps([2, mid, action, payload], separators=(",", ":"))
        t0 = time.perf_counter()
        await self.ws.send(text)
        while True:
            answer = json.loads(await self.ws.recv())
            if answer[1] == mid:
                break
        if answer[0] != 3:
            self.stats["errors"] += 1
        if measure():
            self.stats["latencies"].append(time.perf_counter() - t0)
            self.stats["messages"] += 1

    async def run(self, connect_gate, booted, steady, heartbeat_s, meter_s):
        async with connect_gate:
            try:
                self.ws = await websockets.connect(f"{self.url}/{self.name}", subprotocols=["ocpp1.6"], open_timeout=120,
                                                   ping_interval=None, max_queue=None,
                                                   **({"local_addr": (self.source, 0)} if self.source else {}))
            except Exception as e:  # noqa: BLE001
                self.stats["connectFailures"] += 1
                self.stats["lastError"] = repr(e)
                booted()
                return
            in_steady = lambda: steady.is_set()  # noqa: E731
            await self.call("BootNotification", {"chargePointVendor": "LoadGen", "chargePointModel": "Bench"}, in_steady)
            for c in (0, 1):
                await self.call("StatusNotification", {"connectorId": c, "errorCode": "NoError", "status": "Available"}, in_steady)
        booted()
        loop = asyncio.get_running_loop()
        next_meter = loop.time() + random.uniform(0, meter_s)  # meter_s 0: back to back (saturation)
        next_heartbeat = loop.time() + random.uniform(0, heartbeat_s)
        n = 0
        try:
            while True:
                wake = min(next_meter, next_heartbeat)
                if meter_s > 0:
                    await asyncio.sleep(max(0, wake - loop.time()))
                if loop.time() >= next_meter:
                    n += 1
                    await self.call("MeterValues", meter_values(n), in_steady)
                    next_meter += meter_s
                if loop.time() >= next_heartbeat:
                    await self.call("Heartbeat", {}, in_steady)
                    next_heartbeat += heartbeat_s
        except (websockets.exceptions.ConnectionClosed, asyncio.CancelledError):
            pass


def raise_descriptor_limit():
    """Each worker holds one descriptor per charger: the soft limit goes up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def worker(index, names, url, conn, go, heartbeat_s, meter_s, concurrency, source):
    raise_descriptor_limit()

    async def main():
        stats = {"latencies": [], "messages": 0, "errors": 0, "connectFailures": 0, "lastError": None}
        gate = asyncio.Semaphore(concurrency)
        steady = asyncio.Event()
        remaining = [len(names)]
        all_booted = asyncio.Event()

        def booted():
            remaining[0] -= 1
            if remaining[0] == 0:
                all_booted.set()

        cps = [ChargePoint(n, url, stats, source) for n in names]
        tasks = [asyncio.create_task(cp.run(gate, booted, steady, heartbeat_s, meter_s)) for cp in cps]
        await all_booted.wait()
        conn.send(("booted", time.time()))
        # Wait for the parent: the steady phase starts when every worker has booted its charge points.
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        steady.set()
        stats["latencies"] = []
        stats["messages"] = 0
        cpu0 = time.process_time()
        msg = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        steady.clear()
        cpu_seconds = time.process_time() - cpu0
        assert msg == "stop"
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        lat = stats["latencies"]
        conn.send(("result", {"latencies": lat, "messages": stats["messages"], "errors": stats["errors"],
                              "connectFailures": stats["connectFailures"], "lastError": stats["lastError"],
                              "cpuSeconds": cpu_seconds}))

    if uvloop:
        uvloop.run(main())
    else:
        asyncio.run(main())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="ws://host:port[/path]; the ChargerID is appended")
    ap.add_argument("--chargers", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=60, help="length of the steady phase")
    ap.add_argument("--workers", type=int, default=2, help="at least this many worker processes (more when --per-worker asks)")
    ap.add_argument("--per-worker", type=int, default=10000, help="at most this many chargers per worker process")
    ap.add_argument("--source-base", type=int, default=10,
                    help="with --source-addresses: worker n binds to 127.0.<base // 256>.<base % 256 + n> (another base per run keeps "
                         "a run's connect() away from the previous run's TIME_WAIT ports)")
    ap.add_argument("--source-addresses", action="store_true",
                    help="bind each worker's connections to its own source address (see --source-base; the server on loopback)")
    ap.add_argument("--heartbeat", type=float, default=60)
    ap.add_argument("--meter", type=float, default=10, help="MeterValues interval, s; 0: back to back (saturation)")
    ap.add_argument("--concurrency", type=int, default=100, help="connection handshakes in flight per worker")
    ap.add_argument("--prefix", default="LOAD")
    ap.add_argument("--ready-file", help="written when the steady phase starts (for the CPU and memory probe)")
    ap.add_argument("--done-file", help="written when the steady phase ends")
    a = ap.parse_args()

    names = [f"{a.prefix}{i:05d}" for i in range(a.chargers)]
    workers = max(a.workers, math.ceil(a.chargers / a.per_worker))
    limit = raise_descriptor_limit()
    if math.ceil(a.chargers / workers) + 64 > limit:
        raise SystemExit(f"{math.ceil(a.chargers / workers)} connections per worker exceed the descriptor limit {limit}: raise --workers")
    shares = [names[i::workers] for i in range(workers)]
    go = mp.Event()
    pipes, procs = [], []
    t0 = time.time()
    for i, share in enumerate(shares):
        parent, child = mp.Pipe()
        source = f"127.0.{a.source_base // 256}.{a.source_base % 256 + i}" if a.source_addresses else None
        p = mp.Process(target=worker, args=(i, share, a.url, child, go, a.heartbeat, a.meter, a.concurrency, source), daemon=True)
        p.start()
        pipes.append(parent)
        procs.append(p)
    booted_at = max(pipe.recv()[1] for pipe in pipes)
    connect_seconds = booted_at - t0
    go.set()
    steady_start = time.time()
    if a.ready_file:
        open(a.ready_file, "w").write(str(steady_start))
    time.sleep(a.seconds)
    for pipe in pipes:
        pipe.send("stop")
    steady_seconds = time.time() - steady_start
    if a.done_file:
        open(a.done_file, "w").write(str(time.time()))
    results = [pipe.recv()[1] for pipe in pipes]
    for p in procs:
        p.join(10)
    lat = sorted(x for r in results for x in r["latencies"])
    messages = sum(r["messages"] for r in results)
    print(json.dumps({
        "chargers": a.chargers, "workers": workers, "connectSeconds": round(connect_seconds, 2), "steadySeconds": round(steady_seconds, 2),
        "messages": messages, "perSecond": round(messages / steady_seconds, 1),
        "p50ms": round(percentile(lat, 0.50) * 1000, 3), "p99ms": round(percentile(lat, 0.99) * 1000, 3),
        # The workers' own CPU time in the steady phase: on a shared machine the load generator competes with the server
        # for the same cores, and its latency figures include its own waiting.
        "loadEventLoop": "uvloop" if uvloop else "asyncio",
        "loadCPUSeconds": round(sum(r["cpuSeconds"] for r in results), 2),
        "errors": sum(r["errors"] for r in results), "connectFailures": sum(r["connectFailures"] for r in results),
        "lastError": next((r["lastError"] for r in results if r["lastError"]), None),
    }))


if __name__ == "__main__":
    sys.exit(main())
