"""pymodbus servers that emulate the register maps of the grid meters, written from
the manufacturers' published Modbus register maps (not from ChargeKit's own code)."""
import asyncio
import logging
import socket
import struct
import threading
import time
import warnings

from pymodbus.server import ModbusTcpServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pymodbus.datastore import ModbusDeviceContext, ModbusServerContext, ModbusSparseDataBlock

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

VOLTS = (231.0, 229.5, 230.0)
AMPS = (10.5, 3.2, 7.0)
WATTS = (2425.5, 732.8, -1610.0)
IMPORT_WH = 123456.7
EXPORT_WH = 9876.5


def words(fmt, value, low_word_first=False):
    data = struct.pack(">" + fmt, value)
    w = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
    return list(reversed(w)) if low_word_first else w


def put(regs, address, fmt, value, low_word_first=False):
    for i, w in enumerate(words(fmt, value, low_word_first)):
        regs[address + i] = w


def tq_em300():  # §1: uint32/uint64 ABCD, 0.1 W, 0.001 A, 0.001 V, 0.1 Wh; import and export registers
    r = {}
    total = sum(WATTS)
    put(r, 0, "I", round(max(total, 0) * 10)); put(r, 2, "I", round(max(-total, 0) * 10))
    for base, v, a, p in zip((40, 80, 120), VOLTS, AMPS, WATTS):
        put(r, base, "I", round(max(p, 0) * 10)); put(r, base + 2, "I", round(max(-p, 0) * 10))
        put(r, base + 20, "I", round(a * 1000)); put(r, base + 22, "I", round(v * 1000))
    put(r, 512, "Q", round(IMPORT_WH * 10)); put(r, 516, "Q", round(EXPORT_WH * 10))
    return r


def janitza_512():  # §4: float32 ABCD, the 19000 block 19000..19121 exists completely
    r = {a: 0 for a in range(19000, 19122)}
    for i in range(3):
        put(r, 19000 + 2 * i, "f", VOLTS[i]); put(r, 19012 + 2 * i, "f", AMPS[i]); put(r, 19020 + 2 * i, "f", WATTS[i])
    put(r, 19026, "f", sum(WATTS)); put(r, 19068, "f", IMPORT_WH); put(r, 19076, "f", EXPORT_WH)
    return r


def janitza_605():  # §5: UMG 604 layout, float32 ABCD; the measured-value and energy blocks exist completely
    r = {a: 0 for a in list(range(1317, 1441)) + list(range(9843, 9865))}
    for i in range(3):
        put(r, 1317 + 2 * i, "f", VOLTS[i]); put(r, 1325 + 2 * i, "f", AMPS[i]); put(r, 1333 + 2 * i, "f", WATTS[i])
    put(r, 1369, "f", sum(WATTS)); put(r, 9851, "f", IMPORT_WH); put(r, 9863, "f", EXPORT_WH)
    return r


def phoenix_mb371():  # §6: float32 CDAB (low word first), 0x8000 block
    r = {a: 0 for a in list(range(0x8000, 0x8040)) + list(range(0x8100, 0x8108))}
    for i in range(3):
        put(r, 0x8006 + 2 * i, "f", VOLTS[i], True); put(r, 0x800E + 2 * i, "f", AMPS[i], True)
        put(r, 0x801E + 2 * i, "f", WATTS[i], True)
    put(r, 0x8016, "f", sum(WATTS), True); put(r, 0x8100, "f", IMPORT_WH, True); put(r, 0x8106, "f", EXPORT_WH, True)
    return r


def siemens_pac2200():  # §7: float32 ABCD, float64 energy at 801/809; the registers in between exist too
    r = {a: 0 for a in list(range(1, 73)) + list(range(801, 841))}
    for i in range(3):
        put(r, 1 + 2 * i, "f", VOLTS[i]); put(r, 13 + 2 * i, "f", AMPS[i]); put(r, 25 + 2 * i, "f", WATTS[i])
    put(r, 65, "f", sum(WATTS)); put(r, 801, "d", IMPORT_WH); put(r, 809, "d", EXPORT_WH)
    return r


#: model → (register image, unit id the device answers)
MODELS = {
    "tqEM300LR": (tq_em300, 247),
    "janitzaUMG512PRO": (janitza_512, 1),
    "janitzaUMG605PRO": (janitza_605, 2),
    "phoenixEEMMB371": (phoenix_mb371, 1),
    "siemens7KM2200": (siemens_pac2200, 1),
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_tcp_server(owner, make_server, what):
    """Runs the pymodbus server `make_server()` makes on `owner.loop` in a thread of its own (`owner.server`,
    `owner.thread`) and returns once `owner.port` accepts connections."""
    ready = threading.Event()

    async def main():
        owner.server = make_server()
        ready.set()
        await owner.server.serve_forever()

    owner.thread = threading.Thread(target=lambda: owner.loop.run_until_complete(main()), daemon=True)
    owner.thread.start()
    ready.wait(5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", owner.port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.02)
    raise AssertionError(f"the {what} did not start")


def stop_tcp_server(owner):
    """Shuts down what ``start_tcp_server`` started (nothing when it is not running)."""
    if owner.server:
        asyncio.run_coroutine_threadsafe(owner.server.shutdown(), owner.loop).result(5)
        owner.thread.join(5)
        owner.server = None


class MeterServer:
    """A pymodbus TCP server with one device holding a register image, in a background thread."""

    def __init__(self, registers, unit, port=None):
        self.port = port or free_port()
        self.registers, self.unit = registers, unit
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.thread = None

    def start(self):
        context = ModbusServerContext(devices={self.unit: ModbusDeviceContext(hr=ModbusSparseDataBlock(dict(self.registers)))},
                                      single=False)
        start_tcp_server(self, lambda: ModbusTcpServer(context, address=("127.0.0.1", self.port)), "meter server")
        return self

    def stop(self):
        stop_tcp_server(self)

    def set_registers(self, registers):
        """Changes register values while the server runs (e.g. a new building load), through Modbus itself: one Write
        Multiple Registers (16) per run of consecutive addresses."""
        from pymodbus.client import ModbusTcpClient
        client = ModbusTcpClient("127.0.0.1", port=self.port)
        assert client.connect()
        try:
            addresses = sorted(registers)
            start = 0
            while start < len(addresses):
                end = start
                while end + 1 < len(addresses) and addresses[end + 1] == addresses[end] + 1:
                    end += 1
                values = [registers[a] for a in addresses[start:end + 1]]
                r = client.write_registers(addresses[start], values, device_id=self.unit)
                assert not r.isError(), r
                start = end + 1
        finally:
            client.close()
        self.registers.update(registers)
