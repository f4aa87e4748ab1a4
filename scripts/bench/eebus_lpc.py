"""EEBUS LPC benchmark (issue 26): the time from an LPC limit write (EEBUS UC TS LimitationOfPowerConsumption 1.0.0
scenario 1) to the station's new signalled current, and the station's memory with and without an EEBUS session.

A real `chargekit station --simulate` (time scale 1) runs with its EEBUS interface on, its SHIP listener on a free
loopback port; the test peer of Tests/Interop/eebus (a §14a control box: SHIP over TLS 1.2, SPINE) pairs through the
local API, binds to the LPC LoadControl, sends heartbeats every second, and a three-phase vehicle charges on
connector 1. The timed writes are decreases, a ladder from 15 A down to 6 A (690 W per ampere on three phases at 230 V):
a lower limit is signalled at once, while an increase waits until the signal was stable for 5 s (the station's hold-off
after a decrease, so that a vehicle still following it never sees the current swing back) — the grid operator's limit
is about decreases. Between ladders an untimed write of 16 A brings the current back up.

Method. The write's timestamp is taken on the peer's event loop right before the datagram goes to the TLS socket;
meanwhile this thread polls `GET /api/status` back to back, and the round ends with the first answer whose connector 1
`pilotSignal.signaledCurrentAmps` is the new current. The reported latency is "answer received − write sent", an upper
bound: it includes up to one status round trip (the mean poll round trip is printed beside it). The vehicle's own
reaction is excluded (the signalled current is what the station puts on the pilot). The SPINE acknowledgement
(`resultData` for the write's ackRequest) is timed on the loop too. Memory is the station's PSS
(/proc/PID/smaps_rollup) with the interface on but no manager, with one settled session before any vehicle, with a
vehicle charging, and after the writes (PSS shares pages with other processes mapping the same files: a loaded
machine moves it by a few MB). Figures are printed, not asserted (goal: p99 ≤ 200 ms).

Usage: python eebus_lpc.py CHARGEKIT_BIN [WRITES]"""
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.environ["CHARGEKIT_BIN"] = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CHARGEKIT_BIN", "")
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))
sys.path.insert(0, str(ROOT / "Tests" / "Interop" / "eebus"))
from energy_manager import ControlBox, EnergyManager  # noqa: E402
from station import Station, cli  # noqa: E402

CARD = Station.CARDS[0]
LADDER_A = list(range(15, 5, -1))  # each a decrease
TOP_A = 16
WATTS_PER_A = 690  # three phases at 230 V


def pss_mb(pid):
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    if not os.environ["CHARGEKIT_BIN"]:
        raise SystemExit(__doc__)
    writes = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    work = Path(tempfile.mkdtemp(prefix="eebus-bench-"))
    data = work / "data"
    data.mkdir()
    port = free_port()
    for key, value in (("EEBUSInterface", "On"), ("EEBUSPort", port), ("EEBUSBindAddress", "127.0.0.1")):
        r = cli("config", "set", key, str(value), "--role", "installer", data_dir=data)
        if r.returncode != 0:
            raise SystemExit(f"config set {key}: {r.stderr}")
    station = Station(data, time_scale=1.0)  # DNS-SD on the LAN interfaces: the peer connects by address anyway
    station.log_level = "error"
    station.start()
    manager = None
    try:
        idle_mb = pss_mb(station.proc.pid)
        code, api = station.get("/api/eebus")
        assert code == 200, api
        manager = EnergyManager("grid-guard", address="127.0.0.1").start()
        code, body = station.request("POST", "/api/eebus/pair", {"ski": manager.identity.ski})
        assert 200 <= code < 300, body
        manager.trust(api["ski"], "127.0.0.1", port)
        session = manager.connect("127.0.0.1", port, api["ski"])
        box = ControlBox(session).setup(heartbeat_interval_s=1.0, heartbeat_timeout_s=4)
        # The session settled (three heartbeats each way after the setup's reads, subscriptions and bindings), before
        # any vehicle: what one EEBUS session costs, apart from a charging session's own.
        beats = session.node.heartbeats_sent
        session.wait_for(lambda n: n.heartbeats_sent >= beats + 3, timeout=10, what="three heartbeats")
        session_mb = pss_mb(station.proc.pid)
        assert station.sim("plug", "1", "--ev", "3p-16a").returncode == 0
        assert station.sim("rfid", CARD).returncode == 0
        station.wait_status(1, "Charging")
        charging_mb = pss_mb(station.proc.pid)

        async def timed_write(watts):
            sent = time.perf_counter()
            result = await box.s.node.write(box.s.node.device.client("LoadControl"), box.load_control,
                                            "loadControlLimitListData", {"loadControlLimitData": [
                                                {"limitId": box.limit_id, "isLimitActive": True,
                                                 "value": {"number": watts, "scale": 0}}]},
                                            partial=box.load_control["functions"]["loadControlLimitListData"]["partial"])
            return sent, time.perf_counter(), result

        signalled = lambda: station.connector(1)["pilotSignal"].get("signaledCurrentAmps")  # noqa: E731
        latencies, acks, polls = [], [], []

        def write_and_wait(amps, timeout_s):
            future = asyncio.run_coroutine_threadsafe(timed_write(amps * WATTS_PER_A), manager.loop.loop)
            while True:
                asked = time.perf_counter()
                value = signalled()
                seen = time.perf_counter()
                polls.append(seen - asked)
                if value == amps:
                    break
                if seen - asked > timeout_s:
                    raise SystemExit(f"no {amps} A within {timeout_s} s")
            sent, acked, result = future.result(10)
            assert result == {"errorNumber": 0}, result
            return (seen - sent) * 1000, (acked - sent) * 1000

        while len(latencies) < writes:
            write_and_wait(TOP_A, 15)  # an increase: held for 5 s after the last decrease; not timed
            for amps in LADDER_A:
                if len(latencies) >= writes:
                    break
                latency, ack = write_and_wait(amps, 10)
                latencies.append(latency)
                acks.append(ack)
        after_mb = pss_mb(station.proc.pid)
        assert session.violations == [], session.violations[:5]
        print(f"EEBUS LPC write → signalled current over {writes} decreasing writes (station {os.environ['CHARGEKIT_BIN']}):")
        print(f"  p50 {statistics.median(latencies):.1f} ms  p99 {percentile(latencies, 99):.1f} ms  "
              f"max {max(latencies):.1f} ms  (upper bound; mean status round trip {statistics.mean(polls) * 1000:.1f} ms)")
        print(f"  SPINE acknowledgement (resultData): p50 {statistics.median(acks):.1f} ms  p99 {percentile(acks, 99):.1f} ms")
        print(f"  station PSS: {idle_mb:.1f} MB with EEBUS on and no manager, {session_mb:.1f} MB with one session "
              f"(+{session_mb - idle_mb:.1f} MB), {charging_mb:.1f} MB with a vehicle charging too, "
              f"{after_mb:.1f} MB after the writes")
    finally:
        if manager is not None:
            manager.close()
        station.terminate()


if __name__ == "__main__":
    main()
