"""The station's listeners under floods of idle and half-finished connections (issue #20 item 2), with the common
embedded limit of 1,024 descriptors: the station stays up, keeps charging, answers a well-behaved Modbus client and
its API, and closes idle connections after their timeout. Before the fix ~1,066 idle Modbus connections exhausted the
descriptors and the station died with SIGILL."""
import time

import pytest
from pymodbus.client import ModbusTcpClient

from flood import EMBEDDED_LIMIT, Flood, allow_sockets, embedded_descriptor_limit, open_descriptors
from station import Station, cli, wait_for
from test_modbus import free_port_pair

pytestmark = pytest.mark.skipif(not allow_sockets(2_500), reason="the test process needs 2,500 descriptors")

#: Half a Modbus read request (MBAP header, unit id, function code) and half an HTTP request head.
HALF_MODBUS = bytes([0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03])
HALF_HTTP = b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
MODBUS_IDLE_S = 5
HTTP_IDLE_S = 20  # HTTPServerBuilder.webIdleTimeout
CHARGING = 6  # register 104: OCPP status Charging


def start_station(data_dir, connectors):
    port = free_port_pair()
    for key, value in [("ModbusTCPServer", "On"), ("ModbusTCPServerBasePort", str(port)),
                       ("ModbusTCPServerIdleTimeout", str(MODBUS_IDLE_S))]:
        assert cli("config", "set", key, value, "--role", "operator", data_dir=data_dir).returncode == 0
    station = Station(data_dir, connectors=connectors, extra=("--modbus-host", "127.0.0.1"))
    station.preexec_fn = embedded_descriptor_limit
    station.start()
    station.modbus_port = port
    return station


def modbus_status(client, connector=1):
    r = client.read_holding_registers(104, count=1, device_id=255)
    assert not r.isError(), r
    return r.registers[0]


def start_charging(s):
    s.sim("plug", "1", "--ev", "3p-16a")
    s.sim("rfid", "04567DAA5F3580")
    s.wait_status(1, "Charging")
    return wait_for(lambda: s.connector(1)["meter"]["currentA"]["l1"] == 16 and s.connector(1), what="16 A")


@pytest.fixture
def floods():
    made = []
    yield made
    for f in made:
        f.close()


def test_floods_from_one_address_leave_modbus_http_and_charging_to_the_others(data_dir, floods):
    s = start_station(data_dir, connectors=2)
    try:
        before = open_descriptors(s.proc.pid)
        # Each address keeps its share (Modbus 8, HTTP 32); the rest is closed at once.
        modbus = Flood(s.modbus_port, 1_100, ["127.0.0.2"], payloads=(b"", HALF_MODBUS))
        floods.append(modbus)
        wait_for(lambda: modbus.poll() <= 8, timeout=MODBUS_IDLE_S - 2, what="refused Modbus connections closed")
        assert modbus.poll() == 8, f"8 held ({modbus.connected:.1f} s to connect 1,100)"
        http = Flood(int(s.base.rsplit(":", 1)[1]), 1_100, ["127.0.0.2"], payloads=(b"", HALF_HTTP))
        floods.append(http)
        wait_for(lambda: http.poll() <= 32, timeout=10, what="refused HTTP connections closed")
        assert http.poll() == 32
        assert s.proc.poll() is None, "the station is alive"
        held = open_descriptors(s.proc.pid)
        assert held <= before + 8 + 32 + 8, f"{held} descriptors held ({before} before the flood)"
        assert held < EMBEDDED_LIMIT - 128

        # A well-behaved energy manager, the API and the charging are served as if nothing happened.
        client = ModbusTcpClient("127.0.0.1", port=s.modbus_port, timeout=5)
        assert client.connect()
        assert modbus_status(client) == 0
        start_charging(s)
        assert modbus_status(client) == CHARGING

        # The flood's Modbus connections, idle or with half a frame, are closed after the idle timeout; the energy
        # manager that keeps polling stays connected.
        wait_for(lambda: modbus_status(client) == CHARGING and modbus.poll() == 0, timeout=MODBUS_IDLE_S + 10,
                 interval=0.5, what="idle Modbus connections closed")
        assert min(modbus.closed_after[-8:]) >= MODBUS_IDLE_S - 1, f"closed by the idle timeout: {modbus.closed_after[-8:]}"
        assert modbus_status(client) == CHARGING
        client.close()
        assert s.connector(1)["status"] == "Charging"
    finally:
        assert s.terminate() == 0


def test_a_flood_from_many_addresses_fills_only_the_http_listener_and_ends_with_its_idle_timeout(data_dir, floods):
    s = start_station(data_dir, connectors=1)
    try:
        charging = start_charging(s)
        energy = charging["meter"]["energyWh"]
        before = open_descriptors(s.proc.pid)
        sources = [f"127.0.0.{i}" for i in range(2, 42)]
        http = Flood(int(s.base.rsplit(":", 1)[1]), 1_200, sources, payloads=(b"", HALF_HTTP))
        floods.append(http)
        wait_for(lambda: http.poll() <= 256, timeout=10, what="the HTTP listener at its cap")
        assert http.poll() == 256, "the listener holds its cap of 256, no more"
        assert s.proc.poll() is None
        held = open_descriptors(s.proc.pid)
        assert held <= before + 256 + 8, f"{held} descriptors held ({before} before the flood)"

        # The Modbus port has its own cap: the energy manager still gets answers, and the car charges on.
        client = ModbusTcpClient("127.0.0.1", port=s.modbus_port, timeout=5)
        assert client.connect()
        assert modbus_status(client) == CHARGING

        # Idle connections and unfinished request heads are closed after the HTTP idle timeout (the energy manager
        # polls meanwhile, as it would: its own idle timeout is 5 s); the API answers again.
        wait_for(lambda: modbus_status(client) == CHARGING and http.poll() == 0, timeout=HTTP_IDLE_S + 15, interval=0.5,
                 what="idle HTTP connections closed")
        assert min(http.closed_after[-256:]) >= HTTP_IDLE_S - 1, "closed by the idle timeout, not before"
        assert modbus_status(client) == CHARGING
        client.close()
        after = s.connector(1)
        assert after["status"] == "Charging" and after["meter"]["energyWh"] > energy
        assert open_descriptors(s.proc.pid) <= before + 4
    finally:
        assert s.terminate() == 0


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_client_that_never_reads_its_answers_cannot_grow_the_station(data_dir):
    """Up to 1,000,000 pipelined reads of 53 registers (12 MB of requests, 115 MB of answers) from a client that never
    reads: the station stops reading while its answers wait (back-pressure) instead of holding them in memory. Before
    the fix its memory grew by 10 MiB in the first 8 s and went on growing; now it stays within 1 MiB."""
    import select
    import socket
    import struct
    station = start_station(data_dir, connectors=1)
    try:
        with ModbusTcpClient("127.0.0.1", port=station.modbus_port) as warm:
            modbus_status(warm)
        before = rss_kib(station.proc.pid)
        s = socket.create_connection(("127.0.0.1", station.modbus_port))
        s.setblocking(False)
        chunk = b"".join(struct.pack(">HHHBBHH", t, 0, 6, 255, 3, 100, 53) for t in range(1000))
        sent, stalled = 0, False
        deadline = time.monotonic() + 60
        while sent < 1000 * len(chunk) and time.monotonic() < deadline:
            try:
                sent += s.send(chunk[sent % len(chunk):])
            except BlockingIOError:
                if not select.select([], [s], [], 2.0)[1]:
                    stalled = True  # the station stopped reading: back-pressure
                    break
        peak, end = before, time.monotonic() + 8  # the station works through what it read
        while time.monotonic() < end and peak - before < 4 * 1024:
            peak = max(peak, rss_kib(station.proc.pid))
            time.sleep(0.2)
        grown_mib = (peak - before) / 1024
        assert grown_mib < 4, f"RSS grew by {grown_mib:.1f} MiB ({sent} bytes of requests sent, stalled: {stalled})"
        s.close()
        with ModbusTcpClient("127.0.0.1", port=station.modbus_port) as fresh:
            modbus_status(fresh)
    finally:
        station.terminate()
