"""Issue #20 item 6 ("Unbounded growth"), the gateway's part, against the real binary: a flood of connections with
made-up ChargerIDs keeps the OCPP scan list and the database small, and the CALLs held while the external central
system is away are bounded in bytes (docs/operator.md "Bounds and retention")."""
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ocpp16"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from central_system import CentralSystem  # noqa: E402
from peers import Charger, Gateway, api_call, wait_for  # noqa: E402

SCAN_LIST_CAPACITY = 100  # RefusedConnections.scanListCapacity
HELD_BYTES_PER_CHARGER = 4 << 20  # CentralSystem.maximumHeldBytes


async def _attempt(port, path):
    """One WebSocket upgrade request; returns the HTTP status of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET /{path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n").encode())
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


async def _flood(port, paths, parallel=50):
    statuses = []
    for i in range(0, len(paths), parallel):
        statuses += await asyncio.gather(*(_attempt(port, p) for p in paths[i:i + parallel]))
    return statuses


def _db_bytes(data_dir):
    return sum(f.stat().st_size for f in data_dir.glob("gateway.sqlite*"))


def test_a_flood_of_unknown_charger_ids_keeps_the_scan_list_and_the_database_small(data_dir):
    gateway = Gateway(data_dir).start()
    try:
        before = _db_bytes(data_dir)
        paths = [f"FLOOD-{uuid.uuid4().hex[:12]}" for _ in range(1500)] + ["X" * 3000 for _ in range(20)]
        started = time.monotonic()
        statuses = asyncio.run(_flood(gateway.ocpp_port, paths))
        elapsed = time.monotonic() - started
        assert set(statuses) == {404}, "every unknown ChargerID is refused"
        # The refusals are written once a second: wait until the list is full (a list that grows past the bound
        # times out here with its size in the message).
        wait_for(lambda: gateway.db("SELECT COUNT(*) FROM scannedCharger")[0][0] >= SCAN_LIST_CAPACITY, what="the scan list written")
        rows = gateway.db("SELECT COUNT(*), MAX(LENGTH(id)) FROM scannedCharger")[0]
        grown = _db_bytes(data_dir) - before
        print(f"\n{len(paths)} refused connections in {elapsed:.1f} s: scan list {rows[0]} rows, database +{grown / 1024:.0f} KiB")
        assert rows[0] == SCAN_LIST_CAPACITY, "the most recently seen ChargerIDs only"
        assert rows[1] <= 48, "ChargerIDs that could never be configured are not listed"
        assert gateway.logged("more connection attempt(s) refused and not listed")
        assert grown < 1 << 20, "the database stays small (it grew by 30 MB for 3,000 connections)"
        lines = sum(1 for line in gateway.log_path.read_text().splitlines() if "refused" in line)
        assert lines < 40, f"one log entry per tick, not one per connection ({lines})"
    finally:
        assert gateway.terminate() == 0


def _memory_kib(pid, field):
    """VmRSS (now) or VmHWM (the peak so far) of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def test_calls_held_while_the_central_system_is_away_are_bounded_in_bytes(data_dir, loop):
    upstream = CentralSystem().start()
    gateway = Gateway(data_dir, extra=["--mode", "External", "--external-url", upstream.url, "--charger-timeout", "10"]).start()
    try:
        cp1 = Charger(loop, gateway, "CP1").connect()
        cp1.boot()
        upstream.stop_server()
        wait_for(lambda: gateway.logged("central system disconnected"), what="the gateway noticing the outage")
        rss_before = _memory_kib(gateway.proc.pid, "VmRSS")
        big = "x" * 600_000
        count = 100  # 60 MB of frames; the charger sends them without waiting for answers
        ids = [f"held-{i}" for i in range(count)]

        async def send_all():
            for i, mid in enumerate(ids):
                cp1.model.open_calls[mid] = "DataTransfer"  # sent past the library: its answer is checked all the same
                await cp1.ws.send(json.dumps([2, mid, "DataTransfer", {"vendorId": "ChargeKitTests", "messageId": str(i), "data": big}]))
        loop.run(send_all(), timeout=60)
        # The gateway has taken in every frame once each is held or counted as dropped (socket buffers that are empty
        # do not say so: a frame read from the socket may still wait in the gateway's pipeline on a busy machine).
        def taken_in():
            status, diagnostics = api_call(gateway, "GET", "/api/diagnostics", gateway.token)
            c = next(c for c in diagnostics["chargers"] if c["id"] == "CP1") if status == 200 else None
            return c is not None and c["callsToCentral"] + c["callsDropped"] == count
        wait_for(taken_in, timeout=60, what="the gateway taking in every frame")
        mark = upstream.mark()
        upstream.restart_server()
        wait_for(lambda: any(p["messageId"] == str(count - 1) for _, p in upstream.calls("DataTransfer", since=mark)),
                 timeout=60, what="the newest held CALL delivered")
        peak_grown_mib = (_memory_kib(gateway.proc.pid, "VmHWM") - rss_before) / 1024
        delivered = [p["messageId"] for _, p in upstream.calls("DataTransfer", since=mark)]
        print(f"\n{count} CALLs of 600 kB held: {len(delivered)} delivered, the newest; gateway peak RSS +{peak_grown_mib:.0f} MiB")
        assert len(delivered) * 600_000 <= HELD_BYTES_PER_CHARGER, "at most 4 MB of frames held per charger"
        assert delivered == [str(i) for i in range(count - len(delivered), count)], "the oldest gave way, the rest in order"
        assert peak_grown_mib < 40, "memory follows the bound (544 MB for 300 held CALLs of 900 KB before)"
        assert gateway.logged("MB held for the central system") and gateway.logged("dropped by the bounds meanwhile")
        cp1.close()
    finally:
        assert gateway.terminate() == 0
        upstream.shutdown()
