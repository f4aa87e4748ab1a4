"""Issue 29, gateway items 10, 12 and 14 against real peers: a point-by-point BMS (pymodbus and mbpoll writing one
register per function 6 request) operating a Python `ocpp` charge point through the gateway; the BMS time zone of
registers 1…6 and the seed's 15 s window (seeds/003 §2.3.1.1); the Heartbeat register's reset time measured against
the documented "within a second"."""
import subprocess
import time
from datetime import datetime, timezone

import pytest
from ocpp.v16 import call

from peers import BMS, Charger, Gateway, charger_base, decode_string, encode_epoch, encode_string, wait_for

B = charger_base(0)


@pytest.fixture
def gateway(data_dir):
    g = Gateway(data_dir, extra=["--charger-timeout", "5", "--bms-time-zone", "Europe/Berlin"]).start()
    yield g
    assert g.terminate() == 0


@pytest.fixture
def cp1(gateway, loop, bms):
    c = Charger(loop, gateway, "CP1").connect()
    assert c.boot().status == "Accepted"
    yield c
    c.close()


def mbpoll_write(gateway, address, value):
    """One function 6 write with mbpoll (PDU address, -0); -v shows the request's function code."""
    r = subprocess.run(["mbpoll", "-m", "tcp", "-a", "1", "-0", "-r", str(address), "-t", "4", "-1", "-v", "-p", str(gateway.modbus_port),
                        "127.0.0.1", str(value)], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[06]" in r.stdout + r.stderr or "[06]" in (r.stdout + r.stderr).upper(), r.stdout + r.stderr
    return r


def test_seeds003_2_3_1_7_register_by_register_remote_start(cp1, bms):
    # The BMS maps every register to a point of its own and writes them one by one with function 6 (pymodbus
    # write_register): Connector ID, the ten Id Tag registers, then the Flag.
    bms.write(B + 377, 2)
    for i, register in enumerate(encode_string("POINT-BY-POINT-1")):
        r = bms.client.write_register(B + 378 + i, register, device_id=bms.unit)
        assert not r.isError(), f"function 6 to Id Tag register {i}: {r}"
    assert decode_string(bms.read(B + 378, 10)) == "POINT-BY-POINT-1", "the registers read back what was written"
    bms.write(B + 376, 1)
    assert cp1.wait_received("RemoteStartTransaction") == {"connector_id": 2, "id_tag": "POINT-BY-POINT-1"}
    bms.wait_register(B + 376, 0)
    assert bms.read(B + 392) == [0], "Accepted"


def test_seeds003_2_3_1_7_register_by_register_reserve_now_with_mbpoll(cp1, bms, gateway):
    # mbpoll, one function 6 request per register: Connector ID, Expiration (2 registers), the first three Id Tag
    # registers ("RES-42" needs three; the Flag completes the value), Reservation ID, Flag.
    expiry = 1_950_000_000
    mbpoll_write(gateway, B + 297, 1)
    for i, register in enumerate(encode_epoch(expiry)):
        mbpoll_write(gateway, B + 298 + i, register)
    for i, register in enumerate(encode_string("RES-42")[:3]):
        mbpoll_write(gateway, B + 300 + i, register)
    mbpoll_write(gateway, B + 320, 42)
    mbpoll_write(gateway, B + 296, 1)
    request = cp1.wait_received("ReserveNow")
    assert request["id_tag"] == "RES-42" and request["reservation_id"] == 42 and request["connector_id"] == 1
    assert datetime.fromisoformat(request["expiry_date"].replace("Z", "+00:00")) == datetime.fromtimestamp(expiry, timezone.utc)
    bms.wait_register(B + 296, 0)
    assert bms.read(B + 323) == [0], "Accepted"


def test_seeds003_appendix2_heartbeat_reset_within_a_second(gateway, bms):
    # README / integrator.md: "the BMS writes 1, the gateway sets it back to 0 within a second". Measured ten times; the
    # rule itself (reset 0.5 s after the write, ticked every 0.25 s) is pinned in process on the injected clock
    # (Issue29GatewayTests). Here the median must keep the promise; a single slow round trip on a busy machine may not
    # fail the test, a reset that never comes or comes seconds late does.
    resets = []
    for _ in range(10):
        bms.write(0, 1)
        started = time.monotonic()
        while bms.read(0) != [0]:
            assert time.monotonic() - started < 3, "the Heartbeat register was not reset"
            time.sleep(0.01)
        resets.append(time.monotonic() - started)
    resets.sort()
    assert resets[len(resets) // 2] < 1.0, f"median reset after {resets[len(resets) // 2]:.2f} s: {resets}"
    assert resets[-1] < 2.0, f"slowest reset after {resets[-1]:.2f} s"


def test_seeds003_2_3_1_1_bms_time_zone_and_window(gateway, bms, loop):
    # The BMS's clock runs on Berlin time: it writes 14:30:00 on 1 July 2031 (CEST, UTC+2). The gateway takes the date
    # 15 s after the last write and hands out 12:30 UTC (plus the time since the write) in BootNotification.conf.
    bms.write(1, [0, 30, 14, 1, 7, 2031])
    written = time.monotonic()
    assert bms.read(1, 6) == [0, 30, 14, 1, 7, 2031], "within the window the registers read what was written"
    # Five seconds on, still within the window: the date is not taken yet (taken at once, the seconds would have moved).
    wait_for(lambda: time.monotonic() - written >= 5, timeout=10, what="5 s into the window")
    assert bms.read(1, 6) == [0, 30, 14, 1, 7, 2031], "the date is taken only when the window ends"
    wait_for(lambda: bms.read(6) == [2031] and bms.read(1, 6) != [0, 30, 14, 1, 7, 2031] and time.monotonic() - written >= 15,
             timeout=25, what="the date taken after the window")
    assert time.monotonic() - written >= 14.9
    c = Charger(loop, gateway, "CP1").connect()
    current = datetime.fromisoformat(c.boot().current_time.replace("Z", "+00:00"))
    expected = datetime(2031, 7, 1, 12, 30, 0, tzinfo=timezone.utc)
    assert 14 <= (current - expected).total_seconds() < 25, current
    regs = bms.read(1, 6)
    assert regs[2:] == [14, 1, 7, 2031], f"registers read back in Berlin time: {regs}"
    c.close()
