"""The gateway's Modbus RTU slave on a serial line: a socat pseudo-terminal pair stands in for the RS-485 adapter;
pymodbus (RTU client) and mbpoll (libmodbus) act as the BMS on the other end."""
import shutil
import subprocess
import time

import pytest
import serial
from ocpp.v16 import call
from pymodbus.client import ModbusSerialClient
from pymodbus.exceptions import ModbusIOException

from peers import Charger, Gateway, Loop, charger_base, decode_string, encode_string, wait_for

B = charger_base(0)


@pytest.fixture
def line(tmp_path):
    gw, bms = tmp_path / "ttyGW", tmp_path / "ttyBMS"
    proc = subprocess.Popen(["socat", f"pty,raw,echo=0,link={gw}", f"pty,raw,echo=0,link={bms}"], stderr=subprocess.DEVNULL)
    wait_for(lambda: gw.exists() and bms.exists(), timeout=10, what="socat pseudo-terminals")
    yield gw, bms
    proc.terminate()
    proc.wait(timeout=5)


@pytest.fixture
def gateway(data_dir, line):
    g = Gateway(data_dir, extra=["--rtu-device", str(line[0]), "--rtu-baud", "19200", "--rtu-parity", "even",
                                 "--modbus-unit-id", "7"]).start()
    wait_for(lambda: g.logged("Modbus RTU slave on"), what="RTU slave open")
    yield g
    assert g.terminate() == 0


@pytest.fixture
def rtu(gateway, line):
    c = ModbusSerialClient(str(line[1]), baudrate=19200, parity="E", stopbits=1, bytesize=8, timeout=2, retries=1)
    # pymodbus reconfigures the port after opening it (inter-byte timeout), which a Linux pseudo-terminal refuses with
    # EINVAL; the port is opened once with the same line settings instead.
    c.socket = serial.Serial(str(line[1]), baudrate=19200, parity="E", stopbits=1, bytesize=8, timeout=2)
    yield c
    c.close()


def test_rtu_reads_writes_and_handshakes(rtu, gateway):
    r = rtu.read_holding_registers(B, count=47, device_id=7)
    assert not r.isError() and r.registers[0] == 1, "CP1 not connected yet"
    loop = Loop()
    try:
        cp = Charger(loop, gateway, "CP1").connect()
        cp.boot()
        r = rtu.read_input_registers(B + 27, count=10, device_id=7)
        assert decode_string(r.registers) == "ChargeKit Tests"
        # SEQ_RemoteStartTransaction over RTU.
        assert not rtu.write_registers(B + 377, [1] + encode_string("RTU-CARD"), device_id=7).isError()
        assert not rtu.write_register(B + 376, 1, device_id=7).isError()
        assert cp.wait_received("RemoteStartTransaction") == {"connector_id": 1, "id_tag": "RTU-CARD"}
        wait_for(lambda: rtu.read_holding_registers(B + 376, count=1, device_id=7).registers[0] == 0, what="flag back to 0")
        # Exceptions arrive as RTU exception responses.
        r = rtu.read_holding_registers(B + 47, count=1, device_id=7)
        assert r.isError() and r.exception_code == 2
        r = rtu.write_register(B + 90, 9, device_id=7)
        assert r.isError() and r.exception_code == 3
        # Coils.
        pending = cp.send(call.Authorize(id_tag="RTU"))
        wait_for(lambda: rtu.read_coils(B + 64, count=1, device_id=7).bits[0], what="authorization flag")
        assert not rtu.write_register(B + 90, 0, device_id=7).isError()
        assert not rtu.write_coil(B + 77, True, device_id=7).isError()
        assert pending.result(10).id_tag_info["status"] == "Accepted"
        cp.close()
    finally:
        loop.stop()
    cp.check()


def test_other_slave_addresses_get_no_answer(rtu):
    with pytest.raises(ModbusIOException):
        rtu.read_holding_registers(B, count=1, device_id=8)  # a slave never answers for another address
    assert not rtu.read_holding_registers(B, count=1, device_id=7).isError(), "the line is in sync afterwards"


@pytest.mark.skipif(shutil.which("mbpoll") is None, reason="mbpoll (libmodbus) is installed by scripts/test.sh")
def test_mbpoll_reads_the_time_registers(gateway, line):
    # mbpoll numbers references from 1: reference 2 is register 1 (SECOND) … 7 is register 6 (YEAR).
    out = subprocess.run(["mbpoll", "-m", "rtu", "-a", "7", "-b", "19200", "-P", "even", "-t", "4", "-r", "2", "-c", "6", "-1",
                          str(line[1])], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    values = [int(l.split(":")[1]) for l in out.stdout.splitlines() if l.startswith("[")]
    assert len(values) == 6
    assert values[5] == time.gmtime().tm_year and 1 <= values[4] <= 12
