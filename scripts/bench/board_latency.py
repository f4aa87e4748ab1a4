"""Issue 22's hardware benchmark: a station on a board emulator (`chargekit station --board FILE`) with the Python
`ocpp` central system of the interop suite. Prints, per board:
- the serial round trip per poll as the station measures it (request out, every answer in; /api/status boardLink);
- the time from a board state change (the emulator's vehicle plugged or unplugged) to the StatusNotification the
  central system receives (Preparing, Available), p50 and p99 over the cycles; goal: p99 ≤ 100 ms at 115200 baud.
The emulators answer at once, so the board's own latency is excluded. Usage: board_latency.py CYCLES"""
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/Interop"))
sys.path.insert(0, str(ROOT / "Tests/Interop/ocpp16"))
sys.path.insert(0, str(ROOT / "Tests/Interop/hardware"))
from central_system import CentralSystem  # noqa: E402
from evsedin_emulator import EVSEDIN  # noqa: E402
from openevse_emulator import OpenEVSEEmulator  # noqa: E402
from rtu_bus import Bus  # noqa: E402
from station import Station, cli  # noqa: E402


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def measure(name, description, plug, unplug, cycles, directory):
    cs = CentralSystem().start()
    station = Station(directory / "data", connectors=1, time_scale=1.0, cards=())
    (directory / "data").mkdir(parents=True)
    for key, value in [("BackendURL", cs.url), ("ChargeBoxIdentity", "CK-BENCH"), ("MeterValueSampleInterval", "0"),
                       ("StatusNotificationStrategy", "OccupiedOnAuthorizedOrPlugged")]:
        assert cli("config", "set", key, value, "--role", "manufacturer", data_dir=station.data_dir).returncode == 0
    path = directory / "board.json"
    path.write_text(json.dumps(description))
    station.board = path
    latencies = []
    try:
        station.start()
        cs.wait_connected()
        cs.wait_status(1, "Available")
        for i in range(cycles):
            for action, status in ((plug, "Preparing"), (unplug, "Available")):
                mark = cs.mark()
                time.sleep(0.05)  # off the poll's phase: a change lands anywhere in the interval
                t0 = time.monotonic()
                action()
                cs.wait_status(1, status, since=mark)
                with cs._lock:
                    arrived = next(t for d, t, m, _ in cs.frames[mark:] if d == "in" and isinstance(m, list) and m[0] == 2
                                   and m[2] == "StatusNotification" and m[3]["status"] == status)
                latencies.append((arrived - t0) * 1000)
        link = station.status()["boardLink"]
    finally:
        station.terminate()
        cs.shutdown()
    ms = [round(v, 1) for v in latencies]
    print(f"{name}: {description.get('serial', {}).get('baudRate', '')} baud, poll {description['pollIntervalMs']} ms")
    print(f"  poll round trip (station): p50 {link['roundTripP50Microseconds'] / 1000:.2f} ms, "
          f"p99 {link['roundTripP99Microseconds'] / 1000:.2f} ms over {link['polls']} polls ({link['failedPolls']} failed)")
    print(f"  state change → StatusNotification: p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
          f"max {max(ms):.1f} ms over {len(ms)} changes (goal: p99 ≤ 100 ms)")


def main():
    cycles = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        board = OpenEVSEEmulator(tmp).start()
        try:
            measure("OpenEVSE (RAPI)", {"driver": "openevse", "serial": {"device": str(board.station_path), "baudRate": 115200},
                                        "pollIntervalMs": 100, "connectors": [{}]},
                    board.plug, board.unplug, cycles, tmp / "openevse")
        finally:
            board.stop()
        bus = Bus(tmp, name="rs485", baud=115200)
        evse = bus.add(EVSEDIN(unit=1))
        try:
            measure("EVSE-DIN (Modbus RTU)", {"driver": "evse-din", "serial": {"device": bus.device, "baudRate": 115200},
                                              "pollIntervalMs": 100, "connectors": [{"unitId": 1}]},
                    lambda: evse.plug(wants_energy=False), evse.unplug, cycles, tmp / "evsedin")
        finally:
            bus.close()


if __name__ == "__main__":
    main()
