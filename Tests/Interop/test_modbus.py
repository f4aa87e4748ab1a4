"""The station's Modbus TCP server (OMCCI register set, seeds/000 MODBUS-REGISTERSATZ) against independent
clients: pymodbus and mbpoll."""
import socket
import struct
import subprocess
import threading

import pytest
from pymodbus.client import ModbusTcpClient

from station import Station, brief, cli, wait_for

STATUS_CODES = {"Available": 0, "Reserved": 2, "Unavailable": 3, "Faulted": 4, "Preparing": 5, "Charging": 6,
                "SuspendedEVSE": 7, "SuspendedEV": 8, "Finishing": 9}


def free_port_pair():
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port < 65000:
            t = socket.socket()
            try:
                t.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
            finally:
                t.close()


@pytest.fixture
def modbus_station(data_dir):
    port = free_port_pair()
    for key, value in [("ModbusTCPServer", "On"), ("ModbusTCPServerBasePort", str(port)), ("ModbusTCPServerAllowUIDDisclose", "On")]:
        assert cli("config", "set", key, value, "--role", "operator", data_dir=data_dir).returncode == 0
    station = Station(data_dir, extra=("--modbus-host", "127.0.0.1")).start()
    station.modbus_port = port
    wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() or True, what="Modbus port")
    yield station
    station.terminate()


def client(station, connector=1, source=None):
    c = ModbusTcpClient("127.0.0.1", port=station.modbus_port + connector - 1, timeout=5,
                        source_address=(source, 0) if source else None)
    assert c.connect()
    return c


def regs(c, address, count, unit=255):
    r = c.read_holding_registers(address, count=count, device_id=unit)
    assert not r.isError(), f"read {address}x{count}: {r}"
    return r.registers


def u32(words):
    return words[0] << 16 | words[1]


def text(words):
    return b"".join(struct.pack(">H", w) for w in words).rstrip(b"\0").decode()


def test_every_register_matches_the_status_api(modbus_station):
    s = modbus_station
    s.sim("plug", "1", "--ev", "3p-16a", "--evccid", "00:1A:2B:3C:4D:5E")
    s.sim("rfid", "04567DAA5F3580")
    s.wait_status(1, "Charging")
    wait_for(lambda: s.connector(1)["meter"]["currentA"]["l1"] == 16, what="16 A")
    c = client(s)
    block100 = regs(c, 100, 53)
    c1 = s.connector(1)
    block200, block700 = regs(c, 200, 28), regs(c, 700, 47)
    assert text(block100[0:2]) == "5.22" and text(block100[20:22]) == "0.14"
    assert block100[104 - 100] == STATUS_CODES[c1["status"]] == 6
    assert block100[122 - 100] == 3 and block100[123 - 100] == 0x0C
    assert block100[124 - 100] == 1, "available (1 = available since firmware 5.22)"
    assert block100[131 - 100] == 6 and block100[132 - 100] == 0
    assert block100[133 - 100] == 32 and block100[134 - 100] == 32
    assert block100[135 - 100] == c1["residualCurrent"]["mode"] and block100[136 - 100] == 0
    assert block100[140 - 100] == 1 and block100[141 - 100] == 0xEBEE
    assert text(block100[42:52]).startswith("ChargeKit")
    assert block100[152 - 100] == 1 and c1["lockDetected"]
    assert u32(block100[11:13]) == 0, "no active errors"
    meter = c1["meter"]
    assert abs(u32(block200[0:2]) - meter["energyWh"]) < 60 and u32(block200[18:20]) == u32(block200[0:2])
    assert u32(block200[2:4]) == 0xFFFFFFFF and u32(block200[4:6]) == 0xFFFFFFFF
    assert [u32(block200[i:i + 2]) for i in (6, 8, 10)] == [3680, 3680, 3680]
    assert [u32(block200[i:i + 2]) for i in (12, 14, 16)] == [16000, 16000, 16000]
    assert u32(block200[20:22]) == 11040 and [u32(block200[i:i + 2]) for i in (22, 24, 26)] == [230, 230, 230]
    assert block700[706 - 700] == c1["pilotSignal"]["signaledCurrentAmps"] == 32
    assert block700[712 - 700] == 6 and block700[715 - 700] == 16
    assert abs(u32(block700[16:18]) - c1["session"]["energyWh"]) < 60
    assert abs(u32(block700[18:20]) - c1["session"]["durationSeconds"]) < 10
    assert text(block700[20:30]) == "      04567daa5f3580", "IdTag left-padded with spaces (UID disclose On)"
    assert block700[740 - 700] == 1 and text(block700[41:47]) == "001A2B3C4D5E"
    assert 19 <= block700[730 - 700] <= 30, "SoC of the ISO 15118 vehicle"
    start = c1["session"]["startedAt"][11:19].replace(":", "")
    assert "%04x%04x" % (block700[7], block700[8]) == start.rjust(8, "0"), "START_TIME as packed BCD hhmmss"
    assert regs(c, 1000, 1) == [32]
    # DLM block: this station is no DLM master (600 = 0 Disabled), so the master's registers read 0.
    assert regs(c, 600, 36) == [0] * 36
    c.close()
    c2 = client(s, 2)
    assert regs(c2, 104, 1) == [0] and regs(c2, 122, 1) == [1] and regs(c2, 740, 1) == [0]
    assert regs(c2, 720, 10) == [0x2020] * 10, "no session: all spaces"
    assert regs(c2, 741, 6) == [0] * 6
    c2.close()


def test_error_codes_in_the_byte_order_of_the_spec(modbus_station):
    s = modbus_station
    s.sim("plug", "1")
    s.sim("rfid", "04567DAA5F3580")
    s.wait_status(1, "Charging")
    s.sim("fault", "1", "rcd")
    s.wait_status(1, "Faulted")
    c = client(s)
    assert regs(c, 111, 2) == [0x0100, 0x0000], "bit 0 ERR_RCMB_TRIGGERED, low word and low byte first"
    assert regs(c, 104, 1) == [4]
    c.close()


def test_writes_hems_limit_availability_safe_current_and_idtag(modbus_station, data_dir):
    s = modbus_station
    c = client(s)
    s.sim("plug", "1", "--ev", "3p-32a")
    s.sim("rfid", "04567DAA5F3580")
    s.wait_status(1, "Charging")
    assert not c.write_register(1000, 16, device_id=1).isError()
    assert brief(s.connector(1)["currentLimit"]) == {"amps": 16, "binding": "hems"} and regs(c, 706, 1) == [16]
    assert not c.write_registers(1000, [0], device_id=7).isError(), "FC16, any unit id"
    s.wait_status(1, "SuspendedEVSE")
    assert c.write_register(1000, 5, device_id=1).exception_code == 3
    assert regs(c, 1000, 1) == [0], "a refused write changes nothing"
    assert not c.write_register(1000, 32, device_id=1).isError()
    s.wait_status(1, "Charging")
    # Safe current and communication timeout are parameters; the watchdog falls back to the safe current.
    assert not c.write_registers(131, [10, 2], device_id=1).isError()
    assert regs(c, 131, 2) == [10, 2]
    r = cli("config", "get", "ModbusSafeCurrent", "--json", data_dir=data_dir)
    assert '"value" : 10' in r.stdout
    wait_for(lambda: brief(s.connector(1)["currentLimit"]) == {"amps": 10, "binding": "modbusSafeCurrent"}, what="safe current")
    # Communication restored (the energy manager keeps polling): the HEMS limit (32 A) applies again once the signalled
    # current was stable for 5 s (rate rule for increases).
    wait_for(lambda: regs(c, 104, 1) and brief(s.connector(1)["currentLimit"]) == {"amps": 32, "binding": "hardware"},
             what="HEMS limit again")
    assert not c.write_register(132, 0, device_id=1).isError()
    # Availability (1 = available): a running transaction finishes first.
    assert c.write_register(124, 2, device_id=1).exception_code == 3
    assert not c.write_register(124, 0, device_id=1).isError()
    assert regs(c, 124, 1) == [0]
    s.sim("rfid", "04567DAA5F3580")
    s.sim("unplug", "1")
    s.wait_status(1, "Unavailable")
    assert not c.write_register(124, 1, device_id=1).isError()
    s.wait_status(1, "Available")
    # Writing an IdTag acts like presenting the card, only with "Allow Start/Stop Transaction".
    tag = [struct.unpack(">H", ("      04567DAA5F3580"[i:i + 2]).encode())[0] for i in range(0, 20, 2)]
    s.sim("plug", "1")
    s.wait_status(1, "Preparing")
    assert c.write_registers(1110, tag, device_id=1).exception_code == 1
    assert "session" not in s.connector(1)
    assert cli("config", "set", "ModbusTCPServerAllowStartStopTransaction", "On", "--role", "operator", data_dir=data_dir).returncode == 0
    assert not c.write_register(1110, tag[0], device_id=1).isError(), "a piece of the IdTag is kept (register by register)"
    assert not c.write_registers(1110, tag, device_id=1).isError(), "a whole write acts at once"
    conn = s.wait_status(1, "Charging")
    assert conn["session"]["method"] == "Modbus"
    assert not c.write_registers(1110, tag, device_id=1).isError()
    s.wait_status(1, "Finishing")
    c.close()


def raw_request(port, pdu, unit=1, tid=7, protocol=0):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(struct.pack(">HHHB", tid, protocol, len(pdu) + 1, unit) + pdu)
        data = sock.recv(300)
    return data


def test_exception_paths(modbus_station):
    s = modbus_station
    c = client(s)
    for address in (1001, 1002, 5000, 99, 153, 228, 1110):
        assert c.read_holding_registers(address, count=1, device_id=1).exception_code == 2, address
    assert c.read_holding_registers(150, count=4, device_id=1).exception_code == 2, "spans past the block"
    assert regs(c, 101, 3) == [0x3232, 0, 0], "gaps inside a block read 0"
    assert c.read_input_registers(100, count=1, device_id=1).exception_code == 1
    assert c.read_coils(0, count=1, device_id=1).exception_code == 1
    assert c.write_coil(0, True, device_id=1).exception_code == 1
    assert c.write_register(104, 1, device_id=1).exception_code == 2, "read-only"
    assert c.write_register(613, 10, device_id=1).exception_code == 1, "not a DLM master"
    assert c.write_register(130, 1, device_id=1).exception_code == 2
    c.close()
    port = s.modbus_port
    answer = raw_request(port, struct.pack(">BHH", 3, 100, 126))
    assert answer[7:] == bytes([0x83, 0x03]), "more than 125 registers"
    answer = raw_request(port, struct.pack(">BHH", 3, 100, 0))
    assert answer[7:] == bytes([0x83, 0x03])
    answer = raw_request(port, bytes([0x2B, 0x0E, 0x01, 0x00]), tid=0x1234, unit=42)
    assert answer[:2] == b"\x12\x34" and answer[6] == 42 and answer[7:] == bytes([0xAB, 0x01]), "unknown function, same tid and unit"
    assert raw_request(port, struct.pack(">BHH", 3, 100, 1), protocol=1) == b"", "garbage closes the connection"
    assert regs(client(s), 104, 1) == [0], "the station keeps serving"


def test_many_concurrent_clients(modbus_station):
    errors, finished = [], []

    def worker(source):
        try:
            # One client per loopback address: one address holds at most 8 connections (test_listeners.py).
            c = client(modbus_station, source=source)
            for _ in range(40):
                assert text(regs(c, 100, 2)) == "5.22"
                assert len(regs(c, 700, 47)) == 47
            c.close()
            finished.append(True)
        except Exception as e:  # collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(f"127.0.0.{2 + i}",), daemon=True) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert not [t for t in threads if t.is_alive()] and len(finished) == 16, f"{len(finished)} of 16 workers finished in 60 s"


def test_mbpoll_as_a_second_client(modbus_station):
    port = str(modbus_station.modbus_port)
    out = subprocess.run(["mbpoll", "-m", "tcp", "-p", port, "-a", "255", "-0", "-r", "141", "-c", "1", "-1", "127.0.0.1"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and ("[141]: \t-5266" in out.stdout or "[141]: \t60398" in out.stdout), out.stdout
    out = subprocess.run(["mbpoll", "-m", "tcp", "-p", port, "-a", "1", "-0", "-r", "1000", "-1", "127.0.0.1", "20"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    out = subprocess.run(["mbpoll", "-m", "tcp", "-p", port, "-a", "1", "-0", "-r", "1000", "-c", "1", "-1", "127.0.0.1"],
                         capture_output=True, text=True, timeout=30)
    assert "[1000]: \t20" in out.stdout, out.stdout


def station_seconds(station):
    from datetime import datetime
    return datetime.fromisoformat(station.status()["time"].replace("Z", "+00:00")).timestamp()


def test_seeds000_1110_register_by_register_and_712_minimum_current(modbus_station, data_dir):
    """seeds/000 MODBUS-REGISTERSATZ: 712 is the configured Minimum Current Limit; the User ID 1110-1119 (five rows of two
    registers) may be written one register at a time (mbpoll, FC06) or row by row (pymodbus, FC16 of 2): it acts when
    its last register is written; an unfinished value is discarded 15 s (station time) after its latest register."""
    s = modbus_station
    port = str(s.modbus_port)
    for key, value, role in [("ModbusTCPServerAllowStartStopTransaction", "On", "operator"), ("MinimumCurrentLimit", "8", "installer")]:
        r = cli("config", "set", key, value, "--role", role, data_dir=data_dir)
        assert r.returncode == 0, r.stderr
    c = client(s)
    wait_for(lambda: regs(c, 712, 1) == [8], what="712 = Minimum Current Limit 8 A")
    tag = [struct.unpack(">H", ("      04567DAA5F3580"[i:i + 2]).encode())[0] for i in range(0, 20, 2)]
    s.sim("plug", "1")
    s.wait_status(1, "Preparing")

    def mbpoll_write(address, value):
        out = subprocess.run(["mbpoll", "-m", "tcp", "-p", port, "-a", "1", "-0", "-r", str(address), "-1", "127.0.0.1", str(value)],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stdout + out.stderr

    for i in range(9):
        mbpoll_write(1110 + i, tag[i])
    assert "session" not in s.connector(1) and s.connector(1)["status"] == "Preparing", "nothing acts before register 1119"
    mbpoll_write(1119, tag[9])
    conn = s.wait_status(1, "Charging")
    assert conn["session"]["method"] == "Modbus" and conn["session"]["idTag"].lower() == "04567daa5f3580"
    for row in range(0, 10, 2):
        assert not c.write_registers(1110 + row, tag[row:row + 2], device_id=1).isError(), row
    s.wait_status(1, "Finishing")
    # An unfinished value is discarded: 15 s of station time after its latest register, the last one alone is refused.
    assert not c.write_registers(1110, tag[:9], device_id=1).isError()
    t0 = station_seconds(s)
    wait_for(lambda: station_seconds(s) - t0 > 16, what="15 s of station time")
    assert c.write_register(1119, tag[9], device_id=1).exception_code == 3
    c.close()
